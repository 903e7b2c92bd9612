"""Benchmark: a batch of 200 approvals in one action, through the real route.

    DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/batch_approve.py [--rows 200] [--runs 3]

On a throw-away PostgreSQL database (migrated, roles synced, the test accounts of
tests/people.py), each run sets up `rows` applications waiting for a decision, each of its own
practitioner with a verified qualification certificate and an employment, then the approver,
signed in through the login form of a real threaded server (CSRF on, as in production),
ticks them all on 待决定 and runs 批量准予注册: one POST to /decisionqueueview/action_post.
It prints the time of that POST, the SQL statements it ran, and checks that every row was
done, every application is approved and has exactly one approval history row. Target
(issue 16): 200 approvals <= 10 s."""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.scratch_db import bench_app, scratch_postgres  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def arrange(app, run: int, rows: int) -> list[int]:
    """`rows` applications in pending_decision (benchmark arrangement, written directly)."""
    from app.enums import ApplicationState, ApplicationType, CertificateSource, VerificationStatus
    from app.extensions import db
    from app.identity import resident_id_check_char
    from app.models import (
        Application,
        Employment,
        Enterprise,
        Practitioner,
        QualificationCertificate,
        QualificationType,
    )

    with app.app_context():
        q = db.session.scalar(sa.select(QualificationType).filter_by(code="constructor"))
        enterprise = db.session.scalar(sa.select(Enterprise).order_by(Enterprise.id))
        ids = []
        for n in range(rows):
            first17 = f"4401061985{run % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
            person = Practitioner(real_name=f"批量{run}-{n}", id_number=first17 +
                                  resident_id_check_char(first17), phone="13700000000")
            db.session.add(person)
            db.session.flush()
            db.session.add_all([
                QualificationCertificate(
                    practitioner_id=person.id, real_name=person.real_name,
                    id_number=person.id_number, qualification_id=q.id,
                    specialty_id=q.specialties[0].id, certificate_number=f"B{run}-{n}",
                    issue_date=dt.date(2025, 6, 1), source=CertificateSource.roster,
                    verification=VerificationStatus.verified),
                Employment(practitioner_id=person.id, enterprise_id=enterprise.id,
                           start_date=dt.date(2025, 1, 1))])
            application = Application(
                app_type=ApplicationType.initial, practitioner_id=person.id,
                qualification_id=q.id, enterprise_id=enterprise.id,
                state=ApplicationState.pending_decision, details={})
            application.specialties = [q.specialties[0]]
            db.session.add(application)
            db.session.flush()
            ids.append(application.id)
        db.session.commit()
        return ids


def check(app, ids: list[int]) -> None:
    from app.enums import ApplicationState
    from app.extensions import db
    from app.models import Application, Decision

    with app.app_context():
        states = db.session.execute(sa.select(Application.state, sa.func.count()).where(
            Application.id.in_(ids)).group_by(Application.state)).all()
        per_row = db.session.execute(sa.select(Decision.application_id, sa.func.count()).where(
            Decision.application_id.in_(ids), Decision.transition == "approve")
            .group_by(Decision.application_id)).all()
        db.session.remove()
    assert states == [(ApplicationState.approved, len(ids))], states
    assert len(per_row) == len(ids) and all(count == 1 for _, count in per_row), per_row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--statements", action="store_true",
                        help="print the commonest SQL statements of the last run")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_SERVER)
    from app.extensions import db
    from tests import logins, people
    from tests.live_server import serving

    with tempfile.TemporaryDirectory() as workdir, \
            scratch_postgres("batch_approve_bench") as url:
        assert url, "DATABASE_URL must point at PostgreSQL"
        app = bench_app(url, Path(workdir), WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False,
                        AUTH_RATE_LIMIT="10000 per minute")
        with app.app_context():
            people.create_all(app)
            db.session.remove()
        statements = []
        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute",
                        lambda _c, _k, statement, *_a: statements.append(statement))
        times = []
        with serving(app) as base:
            print(f"{args.rows} approvals in one 批量准予注册, {args.runs} runs, PostgreSQL, "
                  f"load {os.getloadavg()[0]:.2f}:")
            for run in range(args.runs):
                ids = arrange(app, run, args.rows)
                session = logins.login_live(base, "approver")
                _status, _url, page = session.get("/decisionqueueview/list/")
                form = [("csrf_token", logins.csrf_token_of(page)), ("action", "batch_approve")]
                form += [("rowid", str(pk)) for pk in ids]
                statements.clear()
                started = time.perf_counter()
                status, _url, body = _post(session, form)
                elapsed = time.perf_counter() - started
                done = len(re.findall(r'data-done="1"', body))
                assert status == 200 and done == args.rows, (status, done, body[-2000:])
                check(app, ids)
                times.append(elapsed)
                print(f"  run {run + 1}: {elapsed:6.2f} s  ({elapsed / args.rows * 1000:5.1f} ms "
                      f"per approval, {len(statements) / args.rows:5.1f} statements per "
                      f"approval), {done} done, one history row each")
        if args.statements:
            for text, count in Counter(" ".join(s.split())[:140] for s in statements
                                       ).most_common(25):
                print(f"    {count:5d}  {text}")
        print(f"  best {min(times):.2f} s, worst {max(times):.2f} s; target <= 10 s; "
              f"load now {os.getloadavg()[0]:.2f}")


def _post(session, form: list[tuple[str, str]]):
    """The list's form as the browser sends it: rowid repeated once per ticked row."""
    import urllib.parse
    import urllib.request

    request = urllib.request.Request(
        session.base + "/decisionqueueview/action_post", method="POST",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    with session.opener.open(request, timeout=600) as response:
        return response.status, response.url, response.read().decode("utf-8", "replace")


if __name__ == "__main__":
    main()
