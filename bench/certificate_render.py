"""Benchmark: render and sign certificate PDFs (app/certificates/pdf.py) from a demo database.

    .venv/bin/python bench/certificate_render.py [--count 40] [--workers 2] [--compare REV]

Builds a temporary SQLite database with the demo data, then
1. renders + signs `count` certificates one after another in a fresh process and prints the
   cold first render and the median of the warm ones, in total and per step: font loading,
   template rendering, the images (photo and signature read and encoded, QR code, seal,
   watermark), xhtml2pdf's layout and drawing, and pyHanko's signature. Each step is timed
   by a wrapper around its function (its own time: a step inside another is taken out of
   the outer one);
2. with --compare REV the same in a process running the code of that git revision (checked
   out into a temporary worktree), the two alternating in rounds, so that a change of the
   machine's load falls on both alike;
3. with `workers` processes (xhtml2pdf renders one document at a time per process, so
   throughput comes from processes, as with gunicorn workers): certificates per second.
Nothing is written back: each render happens in a transaction that is rolled back."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("font", "template", "images", "xhtml2pdf", "sign")
ROUNDS = 2


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


class StepClock:
    """Own time per step of the functions wrapped, in seconds, for the current render."""

    def __init__(self):
        self.spent = dict.fromkeys(STEPS, 0.0)
        self._inner = [0.0]  # time of timed calls inside the one running, per level

    def wrap(self, owner, name: str, step: str) -> None:
        func = getattr(owner, name)

        def timed(*args, **kwargs):
            self._inner.append(0.0)
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                inner = self._inner.pop()
                self.spent[step] += elapsed - inner
                self._inner[-1] += elapsed

        setattr(owner, name, timed)

    def take(self) -> dict:
        spent, self.spent = self.spent, dict.fromkeys(STEPS, 0.0)
        return spent


def _instrument() -> StepClock:
    """Wrap the steps, in this code's version of the modules (the before code lacks some)."""
    from xhtml2pdf import context, pisa

    from app.certificates import pdf, signing

    clock = StepClock()
    clock.wrap(context.pisaContext, "loadFont", "font")  # @font-face, if the template has one
    if hasattr(pdf, "register_font"):
        clock.wrap(pdf, "register_font", "font")
    clock.wrap(pdf, "render_template", "template")
    for name in ("_image", "_seal", "qr_png", "watermark_jpeg", "_data_uri"):
        if hasattr(pdf, name):
            clock.wrap(pdf, name, "images")
    clock.wrap(pisa, "CreatePDF", "xhtml2pdf")
    clock.wrap(signing, "sign", "sign")
    return clock


def _render_all(url: str, ids: list[int], steps: bool = False) -> list:
    """(render seconds, sign seconds) per certificate in this process; with steps, the
    seconds of each step and the total instead."""
    from app.certificates import pdf, signing
    from app.certificates.versions import certificate_for_download
    from app.dates import province_today
    from app.extensions import db
    from app.models import Registration

    clock = _instrument() if steps else None
    timings = []
    with _app(url).app_context():
        for registration_id in ids:
            registration = db.session.get(Registration, registration_id)
            certificate = certificate_for_download(registration, province_today())
            started = time.perf_counter()
            document = pdf.render(certificate)
            rendered = time.perf_counter()
            signing.sign(document)
            done = time.perf_counter()
            if clock is not None:
                timings.append({**clock.take(), "total": done - started})
            else:
                timings.append((rendered - started, done - rendered))
            db.session.rollback()
    return timings


def _worker(code_root: str, url: str, ids: list[int]) -> None:
    """--worker: the timings of the steps, as JSON on stdout, with the code of code_root."""
    sys.path.insert(0, code_root)
    os.chdir(code_root)
    print(json.dumps(_render_all(url, ids, steps=True)))


def _steps_in_process(code_root: Path, url: str, ids: list[int], env: dict) -> list[dict]:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", str(code_root), url,
         ",".join(map(str, ids))], env={**env, "PYTHONPATH": str(code_root)},
        capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"the render process of {code_root} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _print_steps(label: str, timings: list[dict]) -> None:
    cold, warm = timings[0], timings[1:]
    parts = "  ".join(f"{step} {statistics.median(t[step] for t in warm) * 1000:5.1f}"
                      for step in STEPS)
    print(f"  {label:<22} total median {statistics.median(t['total'] for t in warm) * 1000:6.1f}"
          f"  p90 {statistics.quantiles([t['total'] for t in warm], n=10)[-1] * 1000:6.1f}"
          f"  cold {cold['total'] * 1000:5.0f}  |  {parts}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--compare", metavar="REV", help="also time this git revision")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        code_root, url, ids = args.worker
        _worker(code_root, url, [int(i) for i in ids.split(",")])
        return
    sys.path.insert(0, str(ROOT))
    with ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        url = f"sqlite:///{folder}/bench.db"
        env = {**os.environ, "DATABASE_URL": url, "INSTANCE_DIR": folder}
        _flask(env, "db", "upgrade")
        _flask(env, "roles", "sync")
        _flask(env, "demo", "load", "--practitioners", str(max(args.count * 2, 200)))
        os.environ.update(env)
        ids = _registration_ids(url, args.count)

        variants = {"this code": ROOT}
        if args.compare:
            from bench.scratch_db import checkout

            variants = {f"before ({args.compare})": stack.enter_context(checkout(args.compare)),
                        **variants}
        steps = {name: [] for name in variants}
        per_round = max(len(ids) // ROUNDS, 2)
        for start in range(0, per_round * ROUNDS, per_round):
            for name, code_root in variants.items():  # alternating, one process per round
                rounds = _steps_in_process(code_root, url, ids[start:start + per_round], env)
                steps[name] += rounds if not steps[name] else rounds[1:]  # one cold render
        print(f"render + sign, ms ({len(ids)} certificates per code, {ROUNDS} rounds "
              f"alternating; load average {os.getloadavg()[0]:.2f}):")
        for name, timings in steps.items():
            _print_steps(name, timings)

        chunks = [ids[n::args.workers] for n in range(args.workers)]
        started = time.perf_counter()
        with ProcessPoolExecutor(args.workers) as pool:
            done = sum(len(t) for t in pool.map(_render_all, [url] * args.workers, chunks))
        elapsed = time.perf_counter() - started
        print(f"{args.workers} worker processes (this code): {done} certificates in "
              f"{elapsed:.1f} s ({done / elapsed:.1f} per second, start-up of each process "
              f"included)")


if __name__ == "__main__":
    main()
