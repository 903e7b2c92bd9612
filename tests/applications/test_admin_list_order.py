"""The authority's list of all applications pages in a fixed order, newest first. Without
an order the database returns pages of LIMIT/OFFSET in whatever order its plan gives, so on
PostgreSQL a row could show on two pages and another on none (found at provincial scale by
bench/provincial_scale.py)."""
import re

import sqlalchemy as sa

from app.enums import ApplicationState, ApplicationType
from app.extensions import db
from app.models import Application, Practitioner, QualificationType

SHOWN = re.compile(r"/applicationadminview/show/(\d+)")


def _shown(client, page: int) -> list[int]:
    html = client.get(f"/applicationadminview/list/?page_ApplicationAdminView={page}")
    return list(dict.fromkeys(int(pk) for pk in SHOWN.findall(html.get_data(as_text=True))))


def test_all_applications_page_newest_first_without_overlap(app, login):
    person = db.session.scalars(sa.select(Practitioner).order_by(Practitioner.id)).first()
    quals = db.session.scalars(sa.select(QualificationType.id)).all()
    db.session.execute(sa.insert(Application), [
        {"app_type": ApplicationType.initial, "practitioner_id": person.id,
         "qualification_id": quals[n % len(quals)], "state": ApplicationState.approved,
         "details": {}} for n in range(40)])
    db.session.commit()
    listed = db.session.scalars(sa.select(Application.id).where(
        Application.state != ApplicationState.draft).order_by(Application.id.desc())).all()

    client = login("reviewer")
    first, second = _shown(client, 0), _shown(client, 1)
    assert first == listed[:25]
    assert second == listed[25:50]
