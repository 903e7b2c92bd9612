"""Benchmark: export the registration register and lapse it, at provincial scale.

    .venv/bin/python bench/register_export.py [--registrations 100000]

Loads the demo sample (`flask demo load`, as bench/demo_scale.sh does) into a fresh, migrated
database with enough practitioners for about that many registrations (three in four are
registered), then times, as the demo reviewer through the real routes: the CSV and the Excel
export of the whole register and of a filtered part; then `flask registrations lapse` on a
date by which every registration has expired, and once more (nothing left to do).
SQLite (a temporary file) always; PostgreSQL too when DATABASE_URL is set, in a temporary
database created on that server and dropped afterwards."""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.scratch_db import (  # noqa: E402
    bench_app,
    cli_twice,
    demo_login,
    scratch_postgres,
    timed,
)

# Every demo registration expires within four years of the demo's fixed date, 2026-11-01.
ALL_EXPIRED = "2031-01-01"


def download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data()  # reads a streamed body to the end


def run(label: str, url: str, workdir: Path, registrations: int) -> None:
    import openpyxl

    from app.demo import ensure_demo_accounts, load_demo_data
    from app.extensions import db
    from app.models import QualificationType, Registration

    app = bench_app(url, workdir)
    print(f"{label}:")
    with app.app_context():
        practitioners = registrations * 4 // 3
        timed(f"demo load ({practitioners} practitioners)",
              lambda: load_demo_data(practitioners, max(24, practitioners // 5)))
        passwords = {a.username: p for a, p in ensure_demo_accounts(
            app.appbuilder, workdir / "demo.txt")}
        total = db.session.scalar(sa.select(sa.func.count(Registration.id)))
        constructor = db.session.scalar(sa.select(QualificationType.id).filter_by(
            code="constructor"))
        db.session.remove()

    client = demo_login(app, "reviewer", passwords["reviewer"])
    base = "/registrationadminview/export"
    data = timed(f"CSV, whole register ({total} registrations)",
                 lambda: download(client, f"{base}/csv"))
    rows = data.count(b"\n") - 1
    assert rows == total, (rows, total)
    print(f"    {rows} rows, {len(data) / 1e6:.1f} MB")
    data = timed("Excel, whole register", lambda: download(client, f"{base}/xlsx"))
    print(f"    {len(data) / 1e6:.1f} MB")
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    counted = sum(1 for _ in sheet.iter_rows(values_only=True)) - 1
    assert counted == total, (counted, total)
    filtered = f"?_flt_0_qualification={constructor}&_flt_0_status=valid"
    data = timed("CSV, constructors only (list filter)",
                 lambda: download(client, f"{base}/csv{filtered}"))
    rows = data.count(b"\n") - 1
    print(f"    {rows} rows")
    timed("Excel, constructors only (list filter)", lambda: download(client, f"{base}/xlsx{filtered}"))

    cli_twice(app, f"lapse --today {ALL_EXPIRED}",
              ["registrations", "lapse", "--today", ALL_EXPIRED])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=100_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        os.environ.setdefault("INSTANCE_DIR", str(workdir))
        run("SQLite", f"sqlite:///{workdir / 'bench.db'}", workdir, args.registrations)

        with scratch_postgres("register_bench") as url:
            if url is not None:
                run("PostgreSQL", url, workdir, args.registrations)


if __name__ == "__main__":
    main()
