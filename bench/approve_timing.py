"""Benchmark: one approval (准予注册) through the real route, timed at the client, on PostgreSQL.

    DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/approve_timing.py [--practitioners 8000] [--approvals 60] \\
        [--compare REV]

A scratch database gets the demo data (`flask demo load`: with 8,000 practitioners about
4,000 applications and 16,000 history rows). A gunicorn worker (one sync worker, the
production server) serves the app; the demo approver logs in through the login form and
its code step, and `POST /api/v1/application/<id>/approve` is sent for `approvals`
applications waiting for the decision, one after another. Prints p50 and p90 of the time
each answer took, and the SQL statements of one approval (counted in this process through
Flask's test client, which runs the same route and hooks).

With --compare REV a second gunicorn worker serves the code of that git revision (checked
out into a temporary worktree) on the same database, and the approvals alternate between
the two servers, so that a change of the machine's load falls on both alike. Where fewer
applications wait for the decision than asked, open ones are moved there first (an
arrangement, as tests/workflow_support.py put_application does)."""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch_db import bench_app, checkout, scratch_postgres  # noqa: E402
from tests.logins import LiveSession, csrf_token_of  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
SECRET = "approve-timing-bench"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(code_root: Path, url: str, instance: Path):
    """One sync gunicorn worker serving the app of `code_root`; yields its base URL."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "INSTANCE_DIR": str(instance),
           "RATELIMIT_ENABLED": "false", "PYTHONPATH": str(code_root)}
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}",
         "--chdir", str(code_root), "--log-level", "warning", "app:create_app()"],
        env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def login(app, base: str, username: str, password: str, secret: str) -> tuple[LiveSession, dict]:
    """The demo account signed in on a real server, with the CSRF header its API writes need."""
    import pyotp

    from app.extensions import db
    from app.models import TwoFactor

    with app.app_context():  # a second login within the same 30 s step would be refused
        db.session.execute(sa.update(TwoFactor).values(last_used_step=None))
        db.session.commit()
    session = LiveSession(base)
    token = csrf_token_of(session.get("/login/")[2])
    session.post("/login/", follow=False, form={"username": username, "password": password,
                                                "csrf_token": token})
    status, url, _ = session.post("/login/code/", form={"code": pyotp.TOTP(secret).now(),
                                                        "csrf_token": token})
    assert status == 200 and "/login" not in url, f"login of {username} on {base}: {status} {url}"
    return session, {"X-CSRFToken": token}


def waiting_applications(app, count: int) -> list[int]:
    from app.enums import ApplicationState as S
    from app.extensions import db
    from app.models import Application

    with app.app_context():
        def waiting():
            return list(db.session.scalars(sa.select(Application.id).where(
                Application.state == S.pending_decision).order_by(Application.id).limit(count)))
        ids = waiting()
        if len(ids) < count:
            more = sa.select(Application.id).where(Application.state.in_(
                [S.pending_acceptance, S.under_review])).limit(count - len(ids)).scalar_subquery()
            db.session.execute(sa.update(Application).where(Application.id.in_(more))
                               .values(state=S.pending_decision))
            db.session.commit()
            ids = waiting()
        return ids


def statements_of_one_approval(app, app_ids: list[int], username: str, password: str,
                               secret: str) -> int:
    """Of the second of two approvals: the first of the year also creates its counter."""
    import pyotp
    from sqlalchemy import event

    from app.extensions import db

    client = app.test_client()
    client.post("/login/", data={"username": username, "password": password})
    client.post("/login/code/", data={"code": pyotp.TOTP(secret).now()})
    client.get("/")
    counted = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: counted.append(args[2])  # noqa: E731
    assert client.post(f"/api/v1/application/{app_ids[0]}/approve", json={}).status_code == 200
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.post(f"/api/v1/application/{app_ids[1]}/approve", json={})
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200, response.get_json()
    return len(counted)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--practitioners", type=int, default=8000)
    parser.add_argument("--approvals", type=int, default=60, help="per server")
    parser.add_argument("--compare", metavar="REV", help="also time this git revision")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_SERVER)
    os.environ["RATELIMIT_ENABLED"] = "false"
    with ExitStack() as stack:
        url = stack.enter_context(scratch_postgres("bench_approve"))
        if url is None:
            sys.exit("DATABASE_URL must point at PostgreSQL")
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        app = bench_app(url, workdir, SECRET_KEY=SECRET, RATELIMIT_ENABLED=False)
        with app.app_context():
            from app.demo import demo_totp_secrets
            from app.extensions import db
            from app.models import Application, Decision

            started = time.perf_counter()
            result = app.test_cli_runner().invoke(args=[
                "demo", "load", "--practitioners", str(args.practitioners)])
            assert result.exit_code == 0, result.output
            password = next(line.split()[2] for line in result.output.splitlines()
                            if line.split()[:2] == ["approver", "approver"])
            secret = demo_totp_secrets(app.appbuilder)["approver"]
            sizes = (db.session.scalar(sa.select(sa.func.count(Application.id))),
                     db.session.scalar(sa.select(sa.func.count(Decision.id))))
            db.session.remove()
        print(f"demo data: {sizes[0]:,} applications, {sizes[1]:,} history rows "
              f"({time.perf_counter() - started:.0f} s)")

        servers = {"this code": stack.enter_context(gunicorn(ROOT, url, workdir))}
        if args.compare:
            before = stack.enter_context(checkout(args.compare))
            servers = {f"before ({args.compare})": stack.enter_context(
                gunicorn(before, url, workdir)), **servers}
        ids = waiting_applications(app, args.approvals * len(servers) + 2)
        assert len(ids) == args.approvals * len(servers) + 2, "not enough open applications"
        count = statements_of_one_approval(app, [ids.pop(), ids.pop()], "approver", password,
                                           secret)
        sessions = {name: login(app, base, "approver", password, secret)
                    for name, base in servers.items()}
        times: dict[str, list[float]] = {name: [] for name in servers}
        floor: dict[str, list[float]] = {name: [] for name in servers}
        names = list(servers)
        for n, app_id in enumerate(ids):
            # The floor: a static file through the same server, session and hooks.
            name = names[n % len(names)]
            started = time.perf_counter()
            sessions[name][0].get("/static/registry.css")
            floor[name].append((time.perf_counter() - started) * 1000)
            name = names[n % len(names)]
            session, headers = sessions[name]
            started = time.perf_counter()
            status, _url, body = session.post(f"/api/v1/application/{app_id}/approve",
                                              json_body={}, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            assert status == 200, (name, app_id, status, body[:300])
            times[name].append(elapsed)
        print(f"approve through gunicorn (1 sync worker), {args.approvals} applications each, "
              f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}:")
        for name, values in times.items():
            print(f"  {name:<28} p50 {statistics.median(values):6.1f} ms  "
                  f"p90 {percentile(values, 0.9):6.1f} ms   (a static file: p50 "
                  f"{statistics.median(floor[name]):5.1f} ms)")
        print(f"SQL statements of one approval (this code, test client): {count}")


if __name__ == "__main__":
    main()
