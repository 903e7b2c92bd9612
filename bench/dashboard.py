"""Benchmark: the dashboards' queries and pages at provincial scale.

    .venv/bin/python bench/dashboard.py [--applications 120000] [--practitioners 40000]

Loads the demo sample (`flask demo load`, as bench/demo_scale.sh does: every fourth
practitioner has an application at some stage, with time limits around today) into a fresh,
migrated database, then adds decided applications (approved or refused, submitted over the
last year and decided 1 to 60 days later) up to the given total. One enterprise, the demo
enterprise account's, gets a tenth of them and 1 in 20 registrations: a large employer, the
worst case of the enterprise page. Then times each figure of app/reporting/dashboard.py (best of 3),
and both pages through the real routes as the demo reviewer and the demo enterprise user.
SQLite (a temporary file) always; PostgreSQL too when DATABASE_URL is set, in a temporary
database created on that server and dropped afterwards."""
from __future__ import annotations

import argparse
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

from app.dates import province_today  # noqa: E402
from bench.scratch_db import bench_app, demo_login, scratch_postgres  # noqa: E402


def best_of(label: str, action, runs: int = 3):
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    print(f"  {label:<46} {min(times) * 1000:8.0f} ms")
    return result


def add_decided(total_wanted: int, big_enterprise: int, seed: int = 7) -> int:
    """Bulk-insert decided applications until the table holds `total_wanted` rows."""
    from app.enums import ApplicationState, ApplicationType
    from app.extensions import db
    from app.models import Application, Enterprise, Practitioner, QualificationType

    have = db.session.scalar(sa.select(sa.func.count(Application.id)))
    missing = max(0, total_wanted - have)
    rng = random.Random(seed)
    people = db.session.scalars(sa.select(Practitioner.id)).all()
    quals = db.session.scalars(sa.select(QualificationType.id)).all()
    firms = db.session.execute(sa.select(Enterprise.id, Enterprise.city)).all()
    big_city = dict(firms)[big_enterprise]
    now = dt.datetime.now(dt.UTC)
    types = list(ApplicationType)
    batch = []
    for n in range(missing):
        firm, city = (big_enterprise, big_city) if rng.random() < 0.1 else rng.choice(firms)
        submitted = now - dt.timedelta(days=rng.uniform(1, 365))
        decided = min(now, submitted + dt.timedelta(days=rng.uniform(1, 60)))
        batch.append({
            "app_type": rng.choice(types), "practitioner_id": rng.choice(people),
            "qualification_id": rng.choice(quals), "enterprise_id": firm, "city": city,
            "state": ApplicationState.approved if rng.random() < 0.85 else ApplicationState.refused,
            "details": {}, "submitted_at": submitted, "decided_at": decided, "version": 5,
            "created_at": submitted})
        if len(batch) == 5000 or n == missing - 1:
            db.session.execute(sa.insert(Application), batch)
            batch = []
    db.session.commit()
    return missing


def run(label: str, url: str, workdir: Path, applications: int, practitioners: int) -> None:
    from app.demo import ensure_demo_accounts, load_demo_data
    from app.extensions import db
    from app.models import Application, EnterpriseUser, Registration
    from app.reporting import dashboard

    app = bench_app(url, workdir)
    print(f"{label}:")
    with app.app_context():
        started = time.perf_counter()
        load_demo_data(practitioners, max(24, practitioners // 5))
        passwords = {a.username: p for a, p in ensure_demo_accounts(
            app.appbuilder, workdir / "demo.txt")}
        user = app.appbuilder.sm.find_user(username="enterprise")
        big = db.session.scalar(sa.select(EnterpriseUser.enterprise_id).where(
            EnterpriseUser.user_id == user.id))
        added = add_decided(applications, big)
        db.session.execute(sa.update(Registration).where(Registration.id % 20 == 0)
                           .values(enterprise_id=big))
        db.session.commit()
        if url.startswith("postgresql"):
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        total = db.session.scalar(sa.select(sa.func.count(Application.id)))
        own = db.session.scalar(sa.select(sa.func.count(Application.id)).where(
            Application.enterprise_id == big))
        regs = db.session.scalar(sa.select(sa.func.count(Registration.id)).where(
            Registration.enterprise_id == big))
        print(f"  data: {total} applications ({added} decided ones added), the large "
              f"enterprise {own} applications and {regs} registrations; "
              f"{time.perf_counter() - started:.0f} s to load")
        today = province_today()
        with app.test_request_context():  # gettext needs a request for the labels
            for scope, name in ((None, "province"), (big, "large enterprise")):
                print(f"  -- {name}")
                best_of("counts by state (alone)", lambda s=scope: dashboard.counts_by_state(s))
                best_of("the four counts (one GROUP BY)", lambda s=scope: dashboard.breakdown(s))
                best_of("weekly series (12 weeks)", lambda s=scope: dashboard.weekly(today, s))
                figure = best_of("processing time (90 days)",
                                 lambda s=scope: dashboard.processing_time(today, s))
                print(f"    {figure.decisions} decisions, average {figure.average:.1f}, "
                      f"p90 {figure.p90} working days")
                late = best_of("overdue list", lambda s=scope: dashboard.overdue(today, s))
                soon = best_of("due-soon list", lambda s=scope: dashboard.due_soon(today, s))
                print(f"    {late.total} overdue, {soon.total} due soon")
                best_of("everything (dashboard.build)", lambda s=scope: dashboard.build(today, s))
            best_of("registered practitioners (large enterprise)",
                    lambda: dashboard.registered_practitioners(big, today))
        db.session.remove()

    for username, page in (("reviewer", "/dashboard/"), ("enterprise", "/enterprise/dashboard/")):
        client = demo_login(app, username, passwords[username])
        response = best_of(f"page {page} as {username}", lambda c=client, p=page: c.get(p))
        assert response.status_code == 200, response.status_code
        print(f"    {len(response.get_data()) / 1000:.0f} kB of HTML")
    with app.app_context():
        db.engines[None].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=120_000)
    parser.add_argument("--practitioners", type=int, default=40_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        os.environ.setdefault("INSTANCE_DIR", str(workdir))
        run("SQLite", f"sqlite:///{workdir / 'bench.db'}", workdir, args.applications,
            args.practitioners)
        with scratch_postgres("dashboard_bench") as url:
            if url is not None:
                run("PostgreSQL", url, workdir, args.applications, args.practitioners)


if __name__ == "__main__":
    main()
