"""In-app messages: each transition tells exactly the parties its row in app/workflow.py
names, in its own transaction; the message centre is scoped, marks read and counts unread
in the navigation bar."""
import re

import pytest
import sqlalchemy as sa

from app.certificates.versions import CERTIFICATE_ISSUED
from app.enums import ApplicationState as S
from app.extensions import db
from app.models import Notification
from app.workflow import APPLICANT, ENTERPRISE, TRANSITIONS
from tests.workflow_support import act, enterprise_of, make_applicant, payload_for, put_application

CLIENT_OF_ROLE = {"practitioner": "me", "enterprise": "ent", "reviewer": "reviewer",
                  "approver": "approver"}


@pytest.fixture
def cast(app, login):
    sm = app.appbuilder.sm
    person = make_applicant(app, "applicant", enterprise_of("ent_a", app))
    return {"person": person, "me": login("applicant"), "ent": login("ent_a"),
            "reviewer": login("reviewer"), "approver": login("approver"),
            "ids": {name: sm.find_user(username=name).id
                    for name in ("applicant", "ent_a", "ent_b", "prac_a", "reviewer")}}


def messages(**where) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Notification).filter_by(**where)
                                   .order_by(Notification.id)))


def test_every_notifying_transition_has_its_text_and_internal_steps_tell_nobody():
    for transition in TRANSITIONS:
        assert bool(transition.notify) == bool(transition.notice), transition.name
    silent = {t.name for t in TRANSITIONS if not t.notify}
    assert silent == {"pass_review", "send_back"}


@pytest.mark.parametrize("transition", TRANSITIONS, ids=lambda t: t.name)
def test_a_transition_tells_exactly_its_parties(app, cast, transition):
    source = sorted(transition.source, key=lambda s: s.name)[0]
    app_id = put_application(cast["person"], enterprise_of("ent_a", app), source)
    before = {m.id for m in messages()}
    client = cast[CLIENT_OF_ROLE[transition.role]]
    response = act(client, app_id, transition.name, **payload_for(transition))
    assert response.status_code == 200, response.get_data(as_text=True)

    new = [m for m in messages() if m.id not in before and m.kind == transition.name]
    expected = {}
    if APPLICANT in transition.notify:
        expected[cast["ids"]["applicant"]] = f"/myapplicationview/show/{app_id}"
    if ENTERPRISE in transition.notify:
        expected[cast["ids"]["ent_a"]] = f"/enterpriseapplicationview/show/{app_id}"
    assert {m.user_id: m.link for m in new} == expected
    assert len(new) == len(expected)  # one each
    for message in new:
        assert f"#{app_id}" in message.title and message.read_at is None
        assert message.email_state is None  # no SMTP configured in tests
        if transition.reason:
            assert "原因：材料不完整" in message.body
        if transition.items:
            assert "证件照片：照片不清晰" in message.body
    others = [m for m in messages() if m.id not in before and m.kind != transition.name]
    if transition.name == "approve":
        [issued] = others
        assert issued.kind == CERTIFICATE_ISSUED and issued.user_id == cast["ids"]["applicant"]
        assert re.fullmatch(r"/myregistrationview/show/\d+", issued.link)
    else:
        assert others == []


def test_messages_are_in_chinese_by_default(app, cast):
    app_id = put_application(cast["person"], enterprise_of("ent_a", app), S.pending_enterprise)
    assert act(cast["ent"], app_id, "enterprise_return", reason="合同已过期",
               items=[{"field": "劳动合同", "reason": "已过期"}]).status_code == 200
    [message] = messages(kind="enterprise_return")
    assert "初始注册" in message.title
    assert "合同已过期" in message.body and "劳动合同：已过期" in message.body


def test_a_refused_or_failed_transition_writes_no_message(app, cast):
    app_id = put_application(cast["person"], enterprise_of("ent_a", app), S.pending_enterprise)
    before = len(messages())
    assert act(cast["reviewer"], app_id, "accept").status_code == 409  # wrong state
    assert act(cast["ent"], app_id, "forward").status_code == 422  # confirmations missing
    assert act(cast["me"], app_id, "enterprise_return", reason="x").status_code == 403
    assert len(messages()) == before


# ---------------------------------------------------------------- the message centre
def _unread_badge(client) -> int:
    html = client.get("/").get_data(as_text=True)
    found = re.search(r'id="unread-count">(\d+)<', html)
    assert 'id="message-centre"' in html
    return int(found.group(1)) if found else 0


def test_navbar_count_falls_when_a_message_is_read_and_open_goes_to_the_target(app, cast):
    app_id = put_application(cast["person"], enterprise_of("ent_a", app), S.pending_enterprise)
    assert act(cast["me"], app_id, "withdraw").status_code == 200
    me = cast["me"]
    assert _unread_badge(me) == 1
    [message] = messages(kind="withdraw", user_id=cast["ids"]["applicant"])

    page = me.get("/mynotificationview/list/").get_data(as_text=True)
    assert message.title in page and "label-warning" in page
    shown = me.get(f"/mynotificationview/show/{message.id}")
    assert shown.status_code == 200 and "申请人" in shown.get_data(as_text=True)
    assert f'href="/myapplicationview/show/{app_id}"' in shown.get_data(as_text=True)
    assert _unread_badge(me) == 0
    assert messages(id=message.id)[0].read_at is not None

    opened = me.get(f"/mynotificationview/open/{message.id}")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/myapplicationview/show/{app_id}")
    assert me.get(opened.headers["Location"]).status_code == 200


def test_another_users_message_is_not_found_and_stays_unread(app, cast, login):
    [theirs] = messages(user_id=cast["ids"]["prac_a"])
    me = cast["me"]
    assert me.get(f"/mynotificationview/show/{theirs.id}").status_code == 404
    assert me.get(f"/mynotificationview/open/{theirs.id}").status_code == 404
    assert theirs.title not in me.get("/mynotificationview/list/").get_data(as_text=True)
    assert messages(id=theirs.id)[0].read_at is None
    assert _unread_badge(login("prac_a")) == 1


def test_mark_all_read_only_marks_ones_own(app, cast):
    app_id = put_application(cast["person"], enterprise_of("ent_a", app), S.draft)
    assert act(cast["me"], app_id, "submit").status_code == 200
    assert act(cast["me"], app_id, "withdraw").status_code == 200
    me = cast["me"]
    assert _unread_badge(me) == 2
    page = me.get("/mynotificationview/list/").get_data(as_text=True)
    assert 'id="mark-all-read"' in page
    response = me.post("/mynotificationview/read_all")
    assert response.status_code == 302
    assert _unread_badge(me) == 0
    assert all(m.read_at is not None for m in messages(user_id=cast["ids"]["applicant"]))
    # the enterprise's copies of the same events are still unread
    assert _unread_badge(cast["ent"]) == 2
    assert me.get("/mynotificationview/read_all").status_code == 405


def test_unread_messages_come_first_then_newest(app, cast):
    user_id = cast["ids"]["applicant"]
    for n in range(3):
        db.session.add(Notification(user_id=user_id, title=f"消息{n}"))
    db.session.commit()
    oldest = messages(user_id=user_id)[0]
    cast["me"].get(f"/mynotificationview/show/{oldest.id}")
    newest_read = messages(user_id=user_id)[-1]
    cast["me"].get(f"/mynotificationview/show/{newest_read.id}")
    page = cast["me"].get("/mynotificationview/list/").get_data(as_text=True)
    order = [int(n) for n in re.findall(r"消息(\d)", page)]
    assert order == [1, 2, 0]


def test_a_visitor_sees_no_message_centre(client):
    assert 'id="message-centre"' not in client.get("/login/").get_data(as_text=True)
