"""Support for the benchmarks: a throw-away PostgreSQL database, the migrated application,
timed steps and cron commands run twice."""
from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def checkout(revision: str):
    """The code of `revision` in a temporary git worktree, its catalogue compiled."""
    folder = Path(tempfile.mkdtemp(prefix="approve-before-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), revision], cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        subprocess.run([str(ROOT / ".venv" / "bin" / "pybabel"), "compile", "-d",
                        str(folder / "app" / "translations")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT,
                       check=False)


@contextmanager
def scratch_postgres(prefix: str) -> Iterator[str | None]:
    """Yield the URL of a new empty database (dropped afterwards), or None when
    DATABASE_URL does not point at PostgreSQL."""
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgresql"):
        yield None
        return
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def timed(label: str, action):
    """Run `action`, print how long it took, return its result."""
    import time

    started = time.perf_counter()
    result = action()
    print(f"  {label:<48} {time.perf_counter() - started:6.1f} s")
    return result


def bench_app(url: str, workdir, **config):
    """The application on `url`, its schema migrated and the roles synced."""
    from flask_migrate import upgrade

    from app import create_app
    from app.security import sync_roles

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
                      "DEMO_ACCOUNTS_FILE": workdir / "demo.txt", **config})
    with app.app_context():
        upgrade()
        sync_roles(app.appbuilder)
    return app


def cli_twice(app, label: str, args: list[str]) -> list[str]:
    """A cron command run twice in a row (the second run should find nothing to do), timed;
    prints the peak memory afterwards. Returns both outputs."""
    import resource

    from app.extensions import db

    outputs = []
    with app.app_context():
        runner = app.test_cli_runner()
        for attempt in ("first run", "second run"):
            result = timed(f"{label}, {attempt}", lambda: runner.invoke(args=args))
            assert result.exit_code == 0, result.output
            for line in result.output.strip().splitlines():
                print(f"    {line}")
            outputs.append(result.output)
        db.session.remove()
        db.engines[None].dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of this process so far: {peak:.0f} MB")
    return outputs


def demo_login(app, username: str, password: str):
    """A test client signed in as a demo account: the password, then the two-factor code of
    an account that has one (its secret as `flask demo load` prints it)."""
    import pyotp

    from app.demo import demo_totp_secrets

    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code == 302, username
    if response.location.endswith("/login/code/"):
        with app.app_context():
            secret = demo_totp_secrets(app.appbuilder)[username]
        response = client.post("/login/code/", data={"code": pyotp.TOTP(secret).now()})
        assert response.status_code == 302 and "/login" not in response.location, username
    return client
