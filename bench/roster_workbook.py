"""Benchmark: checking a generated qualification roster from CSV, from .xlsx read with openpyxl
(the reader the import used until issue 15) and from .xlsx read with python-calamine (in its
child process, as the import does now), in one run against one migrated SQLite database.

    .venv/bin/python bench/roster_workbook.py [--rows 100000] [--repeat 2]

Only checking is timed (validate_roster: reading, every row's rules, the database look-ups);
inserting is the same for every format (bench/roster_import.py). Prints seconds, rows/second
and each way's ratio to CSV; the best of --repeat runs counts. Not run in CI (about 2 minutes for
100,000 rows). OPENPYXL_DEFUSEDXML=False measures openpyxl without defusedxml's parser."""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.roster_import import write_csv, write_xlsx  # noqa: E402


def openpyxl_rows(data: bytes, kind: str):
    """The roster's .xlsx reader before issue 15, verbatim but for the error handling."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        yield from sheet.iter_rows(min_row=1, values_only=True)
    finally:
        workbook.close()


def best_time(check, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        check()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        os.environ.setdefault("INSTANCE_DIR", str(workdir))
        csv_file, xlsx_file = workdir / "roster.csv", workdir / "roster.xlsx"
        write_csv(csv_file, args.rows)
        write_xlsx(xlsx_file, args.rows)

        from flask_migrate import upgrade

        from app import create_app
        from app.registry import roster_import
        from app.registry.roster_import import validate_roster

        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}",
                          "DEMO_ACCOUNTS_FILE": workdir / "demo.txt"})
        with app.app_context():
            upgrade()
            csv_data, xlsx_data = csv_file.read_bytes(), xlsx_file.read_bytes()

            def check(data: bytes, name: str):
                report = validate_roster(data, name)
                assert report.ok and report.new == args.rows, (report.invalid, report.errors[:3])

            calamine_reader = roster_import._workbook_rows
            results = {"CSV": best_time(lambda: check(csv_data, "roster.csv"), args.repeat)}
            results["xlsx, calamine"] = best_time(lambda: check(xlsx_data, "roster.xlsx"),
                                                  args.repeat)
            roster_import._workbook_rows = openpyxl_rows
            try:
                results["xlsx, openpyxl"] = best_time(lambda: check(xlsx_data, "roster.xlsx"),
                                                      args.repeat)
            finally:
                roster_import._workbook_rows = calamine_reader

        import openpyxl.xml

        print(f"openpyxl's XML parser hardened by defusedxml: {openpyxl.xml.DEFUSEDXML}")
        print(f"{args.rows} rows; CSV {csv_file.stat().st_size / 1e6:.1f} MB, "
              f".xlsx {xlsx_file.stat().st_size / 1e6:.1f} MB; best of {args.repeat}")
        for label, seconds in results.items():
            print(f"  {label:<15} {seconds:6.2f} s  {args.rows / seconds:9.0f} rows/s  "
                  f"{seconds / results['CSV']:5.2f} x CSV")
        print(f"  openpyxl / calamine: "
              f"{results['xlsx, openpyxl'] / results['xlsx, calamine']:.1f}")


if __name__ == "__main__":
    main()
