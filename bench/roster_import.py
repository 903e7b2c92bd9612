"""Benchmark: import a generated qualification roster into a fresh, migrated database through
the same code path as `flask roster import` and the web page (app/registry/roster_import.py).

    .venv/bin/python bench/roster_import.py [--rows 100000] [--xlsx]

SQLite (a temporary file) always; PostgreSQL too when DATABASE_URL is set, in a temporary
database created on that server and dropped afterwards. Prints seconds and rows/second for
checking, inserting, and re-importing the same file (every row unchanged)."""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app.demo import CITIES, GIVEN, SURNAMES, make_resident_id  # noqa: E402
from bench.scratch_db import scratch_postgres  # noqa: E402

# name, specialties (empty: none), as in migrations/versions/0002_qualification_data.py
QUALIFICATIONS = [
    ("二级注册建造师", ["建筑工程", "公路工程", "水利水电工程", "市政公用工程", "矿业工程", "机电工程"]),
    ("二级造价工程师", ["土木建筑工程", "安装工程"]),
    ("二级注册建筑师", []),
    ("二级注册结构工程师", []),
]
HEADER = ["姓名", "身份证号码", "执业资格", "专业", "证书编号", "签发日期"]


def generate_rows(count: int, seed: int = 20211029):
    rng = random.Random(seed)
    for i in range(count):
        _city, area = CITIES[i % len(CITIES)]
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 40))
        qualification, specialties = QUALIFICATIONS[i % len(QUALIFICATIONS)]
        issued = dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 20))
        yield [
            rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            make_resident_id(rng, area, birth, rng.random() < 0.7),
            qualification,
            rng.choice(specialties) if specialties else "",
            f"BENCH{issued:%Y}{i:08d}",
            f"{issued.year}/{issued.month}/{issued.day}" if i % 2 else issued.isoformat(),
        ]


def write_csv(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(generate_rows(count))


def write_xlsx(path: Path, count: int) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in generate_rows(count):
        row[5] = dt.date(*(int(part) for part in row[5].replace("/", "-").split("-")))
        sheet.append(row)
    workbook.save(path)


def run(label: str, url: str, workdir: Path, files: list[Path]) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.registry.roster_import import apply_roster, validate_roster

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEMO_ACCOUNTS_FILE": workdir / "demo.txt"})
    with app.app_context():
        upgrade()
        csv_file = files[0]
        data = csv_file.read_bytes()

        def progress(stage, done, total):
            if stage == "insert" and done % 25000 and done != total:
                return
            print(f"  {label}: {stage} {done}{'/' + str(total) if total else ''}"
                  f" ({time.perf_counter() - started:.1f} s)")

        started = time.perf_counter()
        report = validate_roster(data, csv_file.name, progress=progress)
        checked = time.perf_counter()
        assert report.ok and report.new == report.total, (report.invalid, report.errors[:3])
        apply_roster(report, progress=progress)
        finished = time.perf_counter()
        n = report.total
        stored = db.session.scalar(sa.text("SELECT count(*) FROM qualification_certificate"))
        assert stored >= n, stored
        total = finished - started
        print(f"{label}: {n} rows from {csv_file.name} ({csv_file.stat().st_size / 1e6:.1f} MB)")
        print(f"  check  {checked - started:6.1f} s  {n / (checked - started):9.0f} rows/s")
        print(f"  insert {finished - checked:6.1f} s  {n / (finished - checked):9.0f} rows/s")
        print(f"  total  {total:6.1f} s  {n / total:9.0f} rows/s")

        started = time.perf_counter()
        again = validate_roster(data, csv_file.name)
        elapsed = time.perf_counter() - started
        assert again.ok and again.unchanged == n and again.new == 0
        print(f"  re-import of the same file: all {n} unchanged, {elapsed:.1f} s")

        for other in files[1:]:
            started = time.perf_counter()
            report = validate_roster(other.read_bytes(), other.name)
            elapsed = time.perf_counter() - started
            assert report.ok and report.unchanged == n
            print(f"  check of {other.name} ({other.stat().st_size / 1e6:.1f} MB): "
                  f"{elapsed:.1f} s, {n / elapsed:.0f} rows/s")
        db.session.remove()
        db.engines[None].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--xlsx", action="store_true", help="also time checking an .xlsx copy")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        os.environ.setdefault("INSTANCE_DIR", str(workdir))
        files = [workdir / "roster.csv"]
        started = time.perf_counter()
        write_csv(files[0], args.rows)
        if args.xlsx:
            files.append(workdir / "roster.xlsx")
            write_xlsx(files[1], args.rows)
        print(f"generated {args.rows} rows in {time.perf_counter() - started:.1f} s")

        run("SQLite", f"sqlite:///{workdir / 'bench.db'}", workdir, files)

        with scratch_postgres("roster_bench") as url:
            if url is not None:
                run("PostgreSQL", url, workdir, files)


if __name__ == "__main__":
    main()
