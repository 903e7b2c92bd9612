"""Benchmark: `flask reminders send` at provincial scale, a first run and a second (no-op) run.

    .venv/bin/python bench/reminders.py [--registrations 100000] [--today YYYY-MM-DD]

Loads the demo sample (as bench/register_export.py does) into a fresh, migrated database,
then gives every practitioner an account and every enterprise one staff account (inserted in
bulk with an unusable password: only the reminders' recipients matter here), and times the
reminder command on `--today` (default: the real date, which the demo's application time
limits count from), then once more the same day, which must send nothing.
SQLite (a temporary file) always; PostgreSQL too when DATABASE_URL is set, in a temporary
database created on that server and dropped afterwards."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app.dates import province_today  # noqa: E402
from bench.scratch_db import bench_app, cli_twice, scratch_postgres, timed  # noqa: E402

CHUNK = 5000


def add_accounts() -> tuple[int, int]:
    """One account per practitioner and one staff account per enterprise, in bulk."""
    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db
    from app.models import Enterprise, EnterpriseUser, Practitioner

    people = db.session.execute(sa.select(Practitioner.id).where(
        Practitioner.user_id.is_(None)).order_by(Practitioner.id)).scalars().all()
    enterprises = db.session.execute(sa.select(Enterprise.id).order_by(Enterprise.id)).scalars().all()
    users = ([{"username": f"p{pid}", "email": f"p{pid}@bench.invalid"} for pid in people]
             + [{"username": f"e{eid}", "email": f"e{eid}@bench.invalid"} for eid in enterprises])
    for start in range(0, len(users), CHUNK):
        db.session.execute(sa.insert(User), [
            {**u, "first_name": u["username"], "last_name": "bench", "active": True,
             "password": "!"} for u in users[start:start + CHUNK]])
    ids = dict(db.session.execute(sa.select(User.username, User.id).where(
        User.last_name == "bench")).all())
    for start in range(0, len(people), CHUNK):
        db.session.execute(sa.update(Practitioner), [
            {"id": pid, "user_id": ids[f"p{pid}"]} for pid in people[start:start + CHUNK]])
    linked = set(db.session.scalars(sa.select(EnterpriseUser.enterprise_id)))
    staff = [{"user_id": ids[f"e{eid}"], "enterprise_id": eid, "is_admin": True}
             for eid in enterprises if eid not in linked]
    if staff:
        db.session.execute(sa.insert(EnterpriseUser), staff)
    db.session.commit()
    return len(people), len(staff)


def run(label: str, url: str, workdir: Path, registrations: int, today: str) -> None:
    from app.demo import ensure_demo_accounts, load_demo_data
    from app.extensions import db
    from app.models import Notification, Registration

    app = bench_app(url, workdir, MAIL_SERVER="")
    print(f"{label}:")
    with app.app_context():
        practitioners = registrations * 4 // 3
        timed(f"demo load ({practitioners} practitioners)",
              lambda: load_demo_data(practitioners, max(24, practitioners // 5)))
        ensure_demo_accounts(app.appbuilder, workdir / "demo.txt")
        people, staff = timed("accounts for practitioners and enterprises", add_accounts)
        total = db.session.scalar(sa.select(sa.func.count(Registration.id)))
        print(f"    {total} registrations, {people} practitioner accounts, {staff} staff accounts")
        before = db.session.scalar(sa.select(sa.func.count(Notification.id)))
        db.session.remove()

    cli_twice(app, f"reminders send --today {today}", ["reminders", "send", "--today", today])
    with app.app_context():
        written = db.session.scalar(sa.select(sa.func.count(Notification.id))) - before
        print(f"    messages written in all: {written}")
        db.session.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument("--today", default=province_today().isoformat())
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        os.environ.setdefault("INSTANCE_DIR", str(workdir))
        run("SQLite", f"sqlite:///{workdir / 'bench.db'}", workdir, args.registrations, args.today)

        with scratch_postgres("reminders_bench") as url:
            if url is not None:
                run("PostgreSQL", url, workdir, args.registrations, args.today)


if __name__ == "__main__":
    main()
