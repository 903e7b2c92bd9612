"""Issue 18's load benchmark (not a test): simulated users of every role against two gunicorn
hosts on the provincial-scale PostgreSQL database (bench/provincial_scale.py load), one Redis,
one queue worker, bounded in time. Prints throughput and p50 / p95 per kind of request, and
the machine's state.

    .venv/bin/python bench/provincial_scale.py load     # once: bench_province, ~3 min
    .venv/bin/python bench/deployment_load.py [--seconds 60] [--users 2] [--web-workers 2]

Each kind of request has --users simulated users (threads), each signed in through the API
(POST /api/v1/security/login, with the two-factor code where the account needs one) and
alternating between the two hosts: the practitioner reads their applications, the
enterprise its queue and forwards what waits for it, the reviewer reads the acceptance
queue and accepts, the approver approves, and the public verifies certificates by token.
Every answer must be 200 (a write that lost a race to another simulated user, 409 or 422,
is counted apart); the e-mail copies and the rate-limit counters go through Redis as in
production."""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.province_measure import _clear_code_step, _percentile  # noqa: E402
from bench.provincial_scale import bench_env, connect, flask, load_average  # noqa: E402
from tests.deployment.hosts import Deployment, call  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
CHECKS = ["pledge", "contract_checked", "insurance_checked"]


def _work(conn) -> dict[str, list]:
    """What each role's users act on: ids in the right state, and certificate tokens."""
    with conn.cursor() as cur:
        cur.execute("""SELECT eu.enterprise_id FROM enterprise_user eu JOIN ab_user u
                       ON u.id = eu.user_id WHERE u.username = 'enterprise'""")
        enterprise = cur.fetchone()[0]
        # The bulk applications waiting for an enterprise are spread over 40,000 of them; the
        # demo enterprise's account forwards, so 3,000 of them are addressed to it first.
        cur.execute(f"""UPDATE application SET enterprise_id = {enterprise} WHERE id IN (
                        SELECT id FROM application WHERE state = 'pending_enterprise'
                        AND enterprise_id <> {enterprise} LIMIT 3000)""")
        conn.commit()
        found = {}
        for key, where in (("forward", f"state = 'pending_enterprise' AND enterprise_id = {enterprise}"),
                           ("accept", "state = 'pending_acceptance'"),
                           ("approve", "state = 'pending_decision'")):
            cur.execute(f"SELECT id FROM application WHERE {where} ORDER BY random() LIMIT 5000")
            found[key] = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT token FROM certificate WHERE NOT void ORDER BY random() LIMIT 5000")
        found["verify"] = [row[0] for row in cur.fetchall()]
    conn.rollback()
    return found


def _token(base: str, conn, username: str, password: str, secret: str | None) -> dict:
    import pyotp

    body = {"username": username, "password": password, "provider": "db"}
    if secret:
        _clear_code_step(conn, username)
        body["totp"] = pyotp.TOTP(secret).now()
    status, answer = call(base + "/api/v1/security/login", "POST", body)
    assert status == 200, (username, status, answer)
    return {"Authorization": f"Bearer {answer['access_token']}"}


KINDS = {
    # kind: (account, method, path for the next item or None, work key)
    "practitioner: own applications": ("practitioner", "GET", lambda _i: "/api/v1/my_application/", None),
    "enterprise: queue": ("enterprise", "GET", lambda _i: "/api/v1/enterprise_queue/", None),
    "enterprise: forward": ("enterprise", "POST", lambda i: f"/api/v1/application/{i}/forward", "forward"),
    "reviewer: acceptance queue": ("reviewer", "GET", lambda _i: "/api/v1/acceptance_queue/", None),
    "reviewer: accept": ("reviewer", "POST", lambda i: f"/api/v1/application/{i}/accept", "accept"),
    "approver: approve": ("approver", "POST", lambda i: f"/api/v1/application/{i}/approve", "approve"),
    "public: verify certificate": (None, "GET", lambda t: f"/api/v1/verify/certificate/{t}", "verify"),
}


def run(seconds: int, users: int, web_workers: int) -> None:
    from redis import Redis

    from app.demo import _read_passwords

    database = "bench_province"
    env = bench_env(database)
    flask(env, "db", "upgrade")
    flask(env, "demo", "accounts")  # the passwords, kept in the instance folder
    passwords = _read_passwords(Path(env["INSTANCE_DIR"]) / "demo-accounts.txt")
    secrets = _totp_secrets(env)
    conn = connect(database)
    work = _work(conn)
    Redis.from_url(REDIS_URL).flushdb()
    folder = Path(env["INSTANCE_DIR"]) / "deployment-load"
    folder.mkdir(exist_ok=True)
    deployment = Deployment({**env, "REDIS_URL": REDIS_URL, "WEB_CONCURRENCY": str(web_workers),
                             "VERIFY_RATE_LIMIT": "100000 per minute",
                             "AUTH_RATE_LIMIT": "100000 per minute", "LOG_LEVEL": "WARNING"},
                            folder)
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load average before: {load_average()}")
    print("work available: " + ", ".join(f"{k} {len(v):,}" for k, v in work.items()))
    try:
        hosts = [deployment.start_app_host(f"host_{n}", web_workers) for n in "ab"]
        deployment.start_worker()
        tokens = {(h.url, a): _token(h.url, conn, a, passwords[a], secrets.get(a))
                  for h in hosts for a in {k[0] for k in KINDS.values() if k[0]}}
        timings, refused, failed = defaultdict(list), defaultdict(int), defaultdict(list)
        reasons: dict[str, str] = {}
        lock, deadline = threading.Lock(), time.monotonic() + seconds

        def user(kind: str, offset: int) -> None:
            account, method, path, key = KINDS[kind]
            items = work.get(key) or [None]
            n = offset
            while time.monotonic() < deadline:
                host = hosts[n % 2]
                with lock:
                    item = items.pop() if key and key != "verify" and items else items[n % len(items)]
                if key and key != "verify" and item is None:
                    return  # nothing left to act on
                body = {"confirm": CHECKS} if key == "forward" else {} if method == "POST" else None
                started = time.perf_counter()
                status, answer = call(host.url + path(item), method, body,
                                       tokens.get((host.url, account), {}), timeout=60)
                elapsed = time.perf_counter() - started
                with lock:
                    if status == 200:
                        timings[kind].append(elapsed)
                    elif status in (409, 422):
                        refused[kind] += 1
                        reasons.setdefault(kind, str(answer)[:300])
                    else:
                        failed[kind].append(status)
                n += 1

        threads = [threading.Thread(target=user, args=(kind, u)) for kind in KINDS
                   for u in range(users)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - started
    finally:
        deployment.stop_all()
        conn.close()
    print(f"{len(KINDS) * users} simulated users for {wall:.0f} s against 2 hosts x "
          f"{web_workers} gunicorn workers; load average after: {load_average()}")
    print("| kind of request | done | per second | p50 | p95 | refused (409/422) | failed |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    total = 0
    for kind in KINDS:
        values = timings[kind]
        total += len(values)
        if values:
            print(f"| {kind} | {len(values):,} | {len(values) / wall:.1f} | "
                  f"{_percentile(values, 0.5) * 1000:.0f} ms | {_percentile(values, 0.95) * 1000:.0f} ms"
                  f" | {refused[kind]} | {len(failed[kind])} |")
        else:
            print(f"| {kind} | 0 | - | - | - | {refused[kind]} | {len(failed[kind])} |")
    print(f"all: {total:,} requests, {total / wall:.1f} per second")
    for kind, reason in reasons.items():
        print(f"first refusal of {kind}: {reason}")
    for kind, statuses in failed.items():
        if statuses:
            print(f"failed {kind}: {sorted(set(statuses))}")


def _totp_secrets(env: dict) -> dict[str, str]:
    from app import create_app
    from app.demo import demo_totp_secrets

    app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
                      "SECRET_KEY": env["SECRET_KEY"], "INSTANCE_DIR": Path(env["INSTANCE_DIR"])})
    with app.app_context():
        return demo_totp_secrets(app.appbuilder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=2, help="simulated users per kind")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per host")
    args = parser.parse_args()
    run(args.seconds, args.users, args.web_workers)


if __name__ == "__main__":
    main()
