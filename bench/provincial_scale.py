"""Benchmark at provincial scale on PostgreSQL (issue 16): load, then measure.

    .venv/bin/python bench/provincial_scale.py load [--keep] [--db bench_province]
    .venv/bin/python bench/provincial_scale.py measure [--db bench_province]

`load` (re)creates the database on 127.0.0.1:5432 (user postgres), migrates it with the real
migrations (`flask db upgrade`), runs `flask roles sync` and the real `flask demo load` (the
demo accounts of every role and a small sample), then reaches 300,000 practitioners, 40,000
enterprises, 1,000,000 applications and over 3,000,000 history rows in bulk
(bench/province_load.py) and ends with ANALYZE. With --keep an existing database is reused
and only what is missing is loaded. The database stays afterwards, so that `measure` can be
run again, e.g. after an optimisation is merged.

`measure` serves the app with one gunicorn worker and times it through HTTP, interleaved
with the raw SQL of the same pages (bench/province_measure.py)."""
from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432"
# A fixed development key, so that the demo accounts' two-factor secrets (encrypted with a
# key derived from it) stay readable between `load` and `measure`.
BENCH_SECRET_KEY = "bench-provincial-scale-not-a-production-key-0123456789"


def bench_env(database: str) -> dict:
    """The environment of every flask command and of gunicorn for this database."""
    instance = ROOT / "instance" / database  # git-ignored: demo passwords, signing key
    instance.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "FLASK_APP": "app", "DATABASE_URL": f"{SERVER}/{database}",
            "INSTANCE_DIR": str(instance), "SECRET_KEY": BENCH_SECRET_KEY,
            "APP_ENV": "development", "FLASK_DEBUG": "0"}


def flask(env: dict, *args: str) -> str:
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), *args], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True)
    return done.stdout


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min) on {os.cpu_count()} cores"


def _admin():
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    conn.autocommit = True
    return conn


def connect(database: str):
    import psycopg2

    return psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=database)


def load(args) -> None:
    from app.dates import province_today
    from bench.province_load import load_bulk

    started = time.perf_counter()
    print(f"load average before: {load_average()}")
    admin = _admin()
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (args.db,))
        exists = cur.fetchone() is not None
        if exists and not args.keep:
            cur.execute(f'DROP DATABASE "{args.db}" WITH (FORCE)')
        if not exists or not args.keep:
            cur.execute(f'CREATE DATABASE "{args.db}"')
    admin.close()
    env = bench_env(args.db)
    flask(env, "db", "upgrade")
    flask(env, "roles", "sync")
    demo = flask(env, "demo", "load")
    print("flask demo load:\n" + "".join(f"  {line}\n" for line in demo.strip().splitlines()))
    print(f"  migrations, roles, demo load {time.perf_counter() - started:6.1f} s")

    conn = connect(args.db)
    load_bulk(conn, args.practitioners, args.enterprises, args.applications, province_today())
    conn.commit()  # also ends the read-only transaction of a --keep run that adds nothing
    conn.autocommit = True
    with conn.cursor() as cur:
        analysed = time.perf_counter()
        cur.execute("VACUUM ANALYZE")  # the visibility map too: index-only counts, as autovacuum would
        print(f"  ANALYZE {time.perf_counter() - analysed:55.1f} s")
        counts = {}
        for table in ("enterprise", "practitioner", "application", "decision", "registration",
                      "application_specialty"):
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
        cur.execute("SELECT state, count(*) FROM application GROUP BY state ORDER BY 2 DESC")
        states = cur.fetchall()
    conn.close()
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    print("applications by state: " + ", ".join(f"{s} {n:,}" for s, n in states))
    print(f"load time: {time.perf_counter() - started:.0f} s; load average after: "
          f"{load_average()}; at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")


def staff_env(database: str) -> dict:
    """bench_env, with the demo accounts' passwords known in this checkout's instance folder:
    `flask demo accounts` keeps them when the file is there and sets new ones otherwise (a
    measure run from another checkout, e.g. after a merge)."""
    env = bench_env(database)
    flask(env, "db", "upgrade")  # a checkout with newer migrations (its indexes) measures them
    flask(env, "demo", "accounts")
    return env


def measure(args) -> None:
    from bench.province_measure import run

    run(args.db, staff_env(args.db), rounds=args.rounds, approvals=args.approvals,
        budget=args.budget)


def check(args) -> None:
    from bench.province_measure import check

    check(args.db, staff_env(args.db))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    loading = sub.add_parser("load", help="create and fill the database")
    loading.add_argument("--keep", action="store_true",
                         help="reuse the database if it exists, load only what is missing")
    loading.add_argument("--practitioners", type=int, default=300_000)
    loading.add_argument("--enterprises", type=int, default=40_000)
    loading.add_argument("--applications", type=int, default=1_000_000)
    measuring = sub.add_parser("measure", help="time the pages, approve and certificates")
    measuring.add_argument("--rounds", type=int, default=9, help="timed requests per page, "
                           "at most")
    measuring.add_argument("--budget", type=float, default=180, help="seconds for the pages: "
                           "no new round after that (at least 3 rounds)")
    measuring.add_argument("--approvals", type=int, default=60)
    checking = sub.add_parser("check", help="show pages of every state and type, approve "
                              "of every type (approves a few)")
    for command in (loading, measuring, checking):
        command.add_argument("--db", default="bench_province")
    args = parser.parse_args()
    {"load": load, "measure": measure, "check": check}[args.command](args)


if __name__ == "__main__":
    main()
