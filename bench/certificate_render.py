"""Benchmark: render and sign certificate PDFs (app/certificates/pdf.py) from a demo database.

    .venv/bin/python bench/certificate_render.py [--count 60] [--workers 2]

Builds a temporary SQLite database with the demo data, then
1. in one process: renders + signs `count` certificates one after another and prints the
   cold first render, the median and the 90th percentile of the warm ones, split into
   render (xhtml2pdf) and sign (pyHanko);
2. with `workers` processes (xhtml2pdf renders one document at a time per process, so
   throughput comes from processes, as with gunicorn workers): certificates per second.
Nothing is written back: each render happens in a transaction that is rolled back."""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from app.dates import province_today

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _flask(env: dict, *args: str) -> None:
    subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), *args], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _app(url: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url})


def _registration_ids(url: str, count: int) -> list[int]:
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Registration

    with _app(url).app_context():
        return list(db.session.scalars(sa.select(Registration.id).order_by(Registration.id)
                                       .limit(count)))


def _render_all(url: str, ids: list[int]) -> list[tuple[float, float]]:
    """(render seconds, sign seconds) per certificate, in this process."""

    from app.certificates.pdf import render
    from app.certificates.signing import sign
    from app.certificates.versions import certificate_for_download
    from app.extensions import db
    from app.models import Registration

    timings = []
    with _app(url).app_context():
        for registration_id in ids:
            registration = db.session.get(Registration, registration_id)
            certificate = certificate_for_download(registration, province_today())
            started = time.perf_counter()
            pdf = render(certificate)
            rendered = time.perf_counter()
            sign(pdf)
            timings.append((rendered - started, time.perf_counter() - rendered))
            db.session.rollback()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        env = {**os.environ, "DATABASE_URL": url, "INSTANCE_DIR": folder}
        _flask(env, "db", "upgrade")
        _flask(env, "roles", "sync")
        _flask(env, "demo", "load", "--practitioners", str(max(args.count * 2, 200)))
        os.environ.update(env)
        ids = _registration_ids(url, args.count)

        timings = _render_all(url, ids)
        cold, warm = timings[0], timings[1:]
        total = [r + s for r, s in warm]
        print(f"single process, {len(ids)} certificates")
        print(f"  first (cold) render+sign: {sum(cold) * 1000:.0f} ms")
        print(f"  warm render+sign: median {statistics.median(total) * 1000:.0f} ms, "
              f"p90 {statistics.quantiles(total, n=10)[-1] * 1000:.0f} ms")
        print(f"  of which render median {statistics.median(r for r, _ in warm) * 1000:.0f} ms, "
              f"sign median {statistics.median(s for _, s in warm) * 1000:.0f} ms")

        chunks = [ids[n::args.workers] for n in range(args.workers)]
        started = time.perf_counter()
        with ProcessPoolExecutor(args.workers) as pool:
            done = sum(len(t) for t in pool.map(_render_all, [url] * args.workers, chunks))
        elapsed = time.perf_counter() - started
        print(f"{args.workers} worker processes: {done} certificates in {elapsed:.1f} s "
              f"({done / elapsed:.1f} per second, start-up of each process included)")


if __name__ == "__main__":
    main()
