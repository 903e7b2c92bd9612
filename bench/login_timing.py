"""Benchmark: does the login's answer time tell whether an account exists?

    .venv/bin/python bench/login_timing.py [--attempts 200]

Times the API login (POST /api/v1/security/login, on Flask's test client, each request in
its own app context as on a server) with a user name that does not exist and with an
existing account's name and a wrong password, interleaved in random order (so that a drift
of the machine's speed falls on both alike), and prints both medians and their difference;
a locked account (the right password, refused) and the right password are timed too. Every
failure should cost one password hash and about the same database work, so the differences
should be within the noise (see the quartiles printed beside each median). The lockout is
set out of reach and the rate limit off, so that every attempt is a full check.
SQLite (a temporary file) always; PostgreSQL too when DATABASE_URL is set, in a temporary
database created on that server and dropped afterwards."""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch_db import bench_app, scratch_postgres  # noqa: E402

USERNAME, LOCKED, PASSWORD = "timing_user", "timing_locked", "Timing-Passw0rd!"
WRONG = "Wrong-Passw0rd!"
KINDS = {"unknown user": ("no_such_user", WRONG), "wrong password": (USERNAME, WRONG),
         "locked account": (LOCKED, PASSWORD), "right password": (USERNAME, PASSWORD)}


def add_accounts(app) -> None:
    """The account timed, and one locked for a year (the right password is refused)."""
    import datetime as dt

    from app.accounts.lockout import protection_of
    from app.extensions import db
    from app.security import ROLES

    with app.app_context():
        sm = app.appbuilder.sm
        for username in (USERNAME, LOCKED):
            user = sm.add_user(username, "计时", "", f"{username}@bench.invalid",
                               sm.find_role(ROLES["practitioner"].name), password=PASSWORD)
        protection_of(user.id, create=True).locked_until = (
            dt.datetime.now(dt.UTC) + dt.timedelta(days=365))
        db.session.commit()
        db.session.remove()


def attempt(client, username: str, password: str) -> float:
    body = {"username": username, "password": password, "provider": "db"}
    started = time.perf_counter()
    response = client.post("/api/v1/security/login", json=body)
    spent = time.perf_counter() - started
    assert response.status_code == (200 if (username, password) == KINDS["right password"]
                                    else 401), response.status_code
    return spent


def run(label: str, url: str, workdir: Path, attempts: int) -> None:
    app = bench_app(url, workdir, LOGIN_MAX_FAILURES=10 ** 9, RATELIMIT_ENABLED=False,
                    AUTH_RATE_LIMITED=False)
    add_accounts(app)
    client = app.test_client()
    for username, password in KINDS.values():  # warm up: first queries, imports, caches
        for _ in range(5):
            attempt(client, username, password)
    order = [kind for kind in KINDS for _ in range(attempts)]
    random.shuffle(order)
    spent = {kind: [] for kind in KINDS}
    for kind in order:
        spent[kind].append(attempt(client, *KINDS[kind]))
    print(f"{label} ({attempts} attempts of each, interleaved):")
    medians = {}
    for kind, times in spent.items():
        medians[kind] = statistics.median(times) * 1000
        quartiles = statistics.quantiles(times, n=4)
        print(f"  {kind:<16} median {medians[kind]:7.1f} ms   (quartiles "
              f"{quartiles[0] * 1000:.1f}–{quartiles[2] * 1000:.1f} ms)")
    for kind in ("wrong password", "locked account"):
        difference = medians[kind] - medians["unknown user"]
        print(f"  {kind} minus unknown user: {difference:+.1f} ms "
              f"({difference / medians['unknown user']:+.1%})")
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engines[None].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=200)
    args = parser.parse_args()
    if args.attempts < 100:
        parser.error("at least 100 attempts of each, or the medians mean little")

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        os.environ.setdefault("INSTANCE_DIR", str(workdir))
        run("SQLite", f"sqlite:///{workdir / 'bench.db'}", workdir, args.attempts)

        with scratch_postgres("login_timing_bench") as url:
            if url is not None:
                run("PostgreSQL", url, workdir, args.attempts)


if __name__ == "__main__":
    main()
