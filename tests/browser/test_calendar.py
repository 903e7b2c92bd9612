"""A time limit in a year whose holidays are not published yet, as a reviewer sees it in the
browser (issue 15, point 1): the queue and the application page mark it 暂定 and say why, on a
desktop (1280 px) and on a phone (390 px)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.applications.work_calendar import NATIONAL_YEARS
from app.enums import ApplicationState as S
from app.extensions import db
from app.models import Application
from app.security import ROLES
from tests import people
from tests.workflow_support import enterprise_of, make_applicant, put_application

PASSWORD = "Calendar-Passw0rd!"
FAR = dt.date(max(NATIONAL_YEARS) + 4, 3, 3)  # beyond every published year


def test_a_provisional_limit_is_marked_in_the_queue_and_on_the_page(live_server, actors):
    app = live_server.app
    sm = app.appbuilder.sm
    user = sm.add_user("c_reviewer", "审查员庚", "", "c_reviewer@gd.invalid",
                       sm.find_role(ROLES["reviewer"].name), password=PASSWORD)
    people.enrol_known(app, user)
    person = make_applicant(app, "c_applicant", enterprise_of("ent_a", app))
    app_id = put_application(person, enterprise_of("ent_a", app), S.under_review)
    db.session.execute(sa.update(Application).where(Application.id == app_id)
                       .values(deadline=FAR))
    db.session.commit()
    why = f"{FAR.year} 年的节假日安排尚未公布：暂按周末计算。"
    for phone in (False, True):
        reviewer = actors("calendar-phone" if phone else "calendar", phone=phone)
        reviewer.typed.update({"c_applicant", "CERT-c_applicant"})  # the test's own data
        reviewer.login("c_reviewer", PASSWORD)
        reviewer.open("/reviewqueueview/list/")
        text = reviewer.shot("queue-provisional")
        assert FAR.isoformat() in text and "暂定" in text
        mark = reviewer.page.locator(".provisional").first
        assert mark.is_visible() and mark.get_attribute("title") == why
        reviewer.open(f"/reviewqueueview/show/{app_id}")
        assert "暂定" in reviewer.shot("application-provisional")
