"""The applications over the API (issue 17): each list is the twin of its web screen, with
the screen's rows, order and filters (the permission matrix: test_twin_matrix.py); the
detail carries the timeline, the pre-checks and what the caller may fire now."""
from __future__ import annotations

import datetime as dt

import prison
import sqlalchemy as sa

from app.enums import ApplicationState
from app.extensions import db
from app.models import Application, Practitioner
from tests import logins
from tests.workflow_support import enterprise_of, make_applicant, put_application


def _bearer(app, username: str):
    client = app.test_client()
    token = logins.api_token(client, username)
    return client, {"Authorization": f"Bearer {token}"}


def _own_draft(username: str) -> int:
    user_id = db.session.scalar(sa.text("SELECT id FROM ab_user WHERE username = :u"),
                                {"u": username})
    return db.session.scalar(sa.select(Application.id).join(Practitioner).where(
        Practitioner.user_id == user_id))


def test_the_practitioner_reads_the_return_with_its_reason_and_items(app, backend):
    client, headers = _bearer(app, "prac_a")
    own = _own_draft("prac_a")
    listed = client.get("/api/v1/my_application/", headers=headers).get_json()
    assert [row["id"] for row in listed["result"]] == listed["ids"] == [own]
    assert listed["result"][0]["qualification"]["name"] == "二级注册建造师"
    shown = client.get(f"/api/v1/my_application/{own}", headers=headers).get_json()["result"]
    assert [t["name"] for t in shown["transitions"]] == ["submit"]
    assert shown["timeline"] == []

    enterprise_client, enterprise_headers = _bearer(app, "ent_a")
    db.session.execute(sa.update(Application).where(Application.id == own).values(  # arranged
        state=ApplicationState.pending_enterprise))
    db.session.commit()
    seen = enterprise_client.get(f"/api/v1/enterprise_queue/{own}", headers=enterprise_headers)
    returning = next(t for t in seen.get_json()["result"]["transitions"]
                     if t["name"] == "enterprise_return")
    contract = next(i for i in returning["items"] if i["label"] == "劳动合同")
    returned = enterprise_client.post(returning["url"], headers=enterprise_headers, json={
        "reason": "劳动合同页缺失", "items": [{"field": contract["key"], "reason": "补传"}]})
    assert returned.status_code == 200, returned.get_json()
    shown = client.get(f"/api/v1/my_application/{own}", headers=headers).get_json()["result"]
    last = shown["timeline"][-1]
    assert (last["transition"], last["to_state"], last["reason"]) == (
        "enterprise_return", "returned", "劳动合同页缺失")
    assert last["items"][0]["reason"] == "补传" and last["at"].endswith("+08:00")
    assert [t["name"] for t in shown["transitions"]] == ["resubmit"]


def test_the_enterprise_queue_shows_what_to_confirm(app):
    person = make_applicant(app, "api_queue_person", enterprise_of("ent_a", app))
    waiting = put_application(person, enterprise_of("ent_a", app),
                              ApplicationState.pending_enterprise)
    client, headers = _bearer(app, "ent_a")
    queue = client.get("/api/v1/enterprise_queue/", headers=headers).get_json()
    assert queue["ids"] == [waiting]
    shown = client.get(f"/api/v1/enterprise_queue/{waiting}", headers=headers).get_json()
    forward = next(t for t in shown["result"]["transitions"] if t["name"] == "forward")
    assert {c["key"] for c in forward["confirm"]} == {"pledge", "contract_checked",
                                                      "insurance_checked"}
    assert forward["url"] == f"/api/v1/application/{waiting}/forward"
    body = {"confirm": [c["key"] for c in forward["confirm"]]}
    assert client.post(forward["url"], headers=headers, json=body).status_code == 200
    assert client.get("/api/v1/enterprise_queue/", headers=headers).get_json()["ids"] == []


def test_the_authority_queue_is_due_first_and_filters_as_the_screen(app):
    enterprise_a, enterprise_b = enterprise_of("ent_a", app), enterprise_of("ent_b", app)
    ids = []
    for n, (enterprise, due) in enumerate([(enterprise_a, dt.date(2027, 1, 20)),
                                           (enterprise_b, dt.date(2027, 1, 5)),
                                           (enterprise_a, dt.date(2027, 1, 12))]):
        person = make_applicant(app, f"api_due_{n}", enterprise)
        pk = put_application(person, enterprise, ApplicationState.pending_acceptance)
        db.session.execute(sa.update(Application).where(Application.id == pk).values(
            deadline=due, submitted_at=dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)))
        ids.append(pk)
    db.session.commit()
    client, headers = _bearer(app, "reviewer")
    queue = client.get("/api/v1/acceptance_queue/", headers=headers).get_json()
    assert queue["ids"] == [ids[1], ids[2], ids[0]]  # due first, as 待受理
    assert queue["result"][0]["submitted_at"] == "2026-12-01T09:30:00+08:00"
    only_a = prison.dumps({"filters": [{"col": "enterprise", "opr": "rel_o_m",
                                        "value": enterprise_a.id}]})
    filtered = client.get(f"/api/v1/acceptance_queue/?q={only_a}", headers=headers).get_json()
    assert filtered["ids"] == [ids[2], ids[0]] and filtered["count"] == 2
    # Every submitted application, newest first, as 全部申请; drafts stay private.
    everything = client.get("/api/v1/application/", headers=headers).get_json()
    assert everything["ids"][:3] == sorted(ids, reverse=True)
    drafts = db.session.scalars(sa.select(Application.id).where(
        Application.state == ApplicationState.draft)).all()
    assert drafts and not set(drafts) & set(everything["ids"])


def test_a_return_is_answered_item_by_item_and_resubmitted(app):
    enterprise = enterprise_of("ent_a", app)
    person = make_applicant(app, "api_answer", enterprise)
    pk = put_application(person, enterprise, ApplicationState.pending_enterprise)
    staff, staff_headers = _bearer(app, "ent_a")
    returned = staff.post(f"/api/v1/application/{pk}/enterprise_return", headers=staff_headers,
                          json={"reason": "联系方式有误",
                                "items": [{"field": "phone", "reason": "请填写本人手机号码"}]})
    assert returned.status_code == 200, returned.get_json()
    client, headers = _bearer(app, "api_answer")
    shown = client.get(f"/api/v1/my_application/{pk}", headers=headers).get_json()["result"]
    assert [(c["key"], c["reason"]) for c in shown["to_correct"]] == [("phone", "请填写本人手机号码")]
    bad = client.post(f"/api/v1/my_application/{pk}/answer", headers=headers,
                      json={"phone": "12345"})
    assert bad.status_code == 422 and set(bad.get_json()["message"]) == {"phone"}
    assert db.session.get(Practitioner, person.id).phone == "13700000000"  # nothing kept
    good = client.post(f"/api/v1/my_application/{pk}/answer", headers=headers,
                       json={"phone": "13911112222"})
    assert good.status_code == 200, good.get_json()
    db.session.expire_all()
    assert db.session.get(Practitioner, person.id).phone == "13911112222"
    resubmit = next(t for t in client.get(f"/api/v1/my_application/{pk}", headers=headers)
                    .get_json()["result"]["transitions"] if t["name"] == "resubmit")
    assert client.post(resubmit["url"], headers=headers, json={}).status_code == 200
    again = client.post(f"/api/v1/my_application/{pk}/answer", headers=headers,
                        json={"phone": "13911113333"})
    assert again.status_code == 409
