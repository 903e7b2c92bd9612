"""Writing through the API with the web's own forms (issue 17, app/accounts/api_forms.py):
a draft of each type through its form's fields and rules, its errors by field in Chinese,
the business rules' refusals, edits only of one's own draft; a question asked, answered by
the authority and read, with the message the asker is sent."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.applications.forms import APPLICATION_FORMS
from app.enums import ApplicationState, ApplicationType
from app.extensions import db
from app.models import Application, Specialty
from tests import logins
from tests.workflow_support import enterprise_of, make_applicant, put_registration, qualification


def _bearer(app, username: str):
    client = app.test_client()
    return client, {"Authorization": f"Bearer {logins.api_token(client, username)}"}


def _initial_body(app, enterprise) -> dict:
    q = qualification("constructor")
    first = db.session.scalar(sa.select(Specialty.id).filter_by(qualification_id=q.id)
                              .order_by(Specialty.id))
    return {"qualification": q.id, "specialties": [first], "enterprise": enterprise.id}


def test_a_draft_is_written_through_its_types_form_and_submitted(app):
    enterprise = enterprise_of("ent_a", app)
    make_applicant(app, "api_form_person", enterprise)
    client, headers = _bearer(app, "api_form_person")
    made = client.post("/api/v1/apply_initial/", headers=headers,
                       json=_initial_body(app, enterprise))
    assert made.status_code == 201, made.get_json()
    pk = made.get_json()["id"]
    shown = client.get(f"/api/v1/my_application/{pk}", headers=headers).get_json()["result"]
    assert (shown["app_type"], shown["state"]) == ("initial", "draft")
    assert shown["enterprise"]["id"] == enterprise.id and len(shown["specialties"]) == 1
    edited = client.put(f"/api/v1/apply_initial/{pk}", headers=headers, json={
        **_initial_body(app, enterprise), "continuing_education": "2025年继续教育 24学时"})
    assert edited.status_code == 200, edited.get_json()
    shown = client.get(f"/api/v1/my_application/{pk}", headers=headers).get_json()["result"]
    assert shown["filed"] == {"continuing_education": "2025年继续教育 24学时"}
    submit = next(t for t in shown["transitions"] if t["name"] == "submit")
    assert client.post(submit["url"], headers=headers, json={}).status_code == 200
    late = client.put(f"/api/v1/apply_initial/{pk}", headers=headers,
                      json=_initial_body(app, enterprise))
    assert late.status_code == 422 and "草稿" in late.get_json()["message"]


def test_the_forms_errors_come_back_by_field_in_chinese(app):
    client, headers = _bearer(app, "prac_a")
    empty = client.post("/api/v1/apply_initial/", headers=headers, json={})
    assert empty.status_code == 422
    errors = empty.get_json()["message"]
    assert set(errors) >= {"qualification", "enterprise"}
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in " ".join(m)) for m in errors.values())
    not_an_object = client.post("/api/v1/apply_initial/", headers=headers, json=[1, 2])
    assert not_an_object.status_code == 400
    other_persons = client.post("/api/v1/apply_change/", headers=headers, json={
        "registration": db.session.scalar(sa.text(
            "SELECT r.id FROM registration r JOIN practitioner p ON p.id = r.practitioner_id "
            "WHERE p.real_name = '测试乙'")),
        "enterprise": enterprise_of("ent_a", app).id, "change_reason": "调动"})
    assert other_persons.status_code == 422 and "registration" in other_persons.get_json()["message"]


def test_a_business_rule_refuses_in_words_and_keeps_nothing(app):
    enterprise = enterprise_of("ent_a", app)
    make_applicant(app, "api_twice", enterprise)
    client, headers = _bearer(app, "api_twice")
    assert client.post("/api/v1/apply_initial/", headers=headers,
                       json=_initial_body(app, enterprise)).status_code == 201
    before = db.session.scalar(sa.select(sa.func.count(Application.id)))
    again = client.post("/api/v1/apply_initial/", headers=headers,
                        json=_initial_body(app, enterprise))
    assert again.status_code == 422 and "撤回" in again.get_json()["message"]
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == before


def test_another_persons_draft_cannot_be_edited(app):
    client, headers = _bearer(app, "prac_a")
    theirs = db.session.scalar(sa.text(
        "SELECT a.id FROM application a JOIN practitioner p ON p.id = a.practitioner_id "
        "WHERE p.real_name = '测试乙'"))
    answer = client.put(f"/api/v1/apply_initial/{theirs}", headers=headers,
                        json=_initial_body(app, enterprise_of("ent_a", app)))
    assert answer.status_code == 404
    assert db.session.get(Application, theirs).state == ApplicationState.draft


def test_a_question_is_asked_answered_and_its_message_read(app):
    client, headers = _bearer(app, "prac_a")
    asked = client.post("/api/v1/my_consultation/", headers=headers, json={
        "category": "initial", "subject": "初始注册需要哪些材料",
        "question": "请问初始注册需要提交哪些材料？是否需要社保证明？"})
    assert asked.status_code == 201, asked.get_json()
    pk = asked.get_json()["id"]
    staff, staff_headers = _bearer(app, "reviewer")
    assert pk in staff.get("/api/v1/consultation_queue/", headers=staff_headers).get_json()["ids"]
    blank = staff.put(f"/api/v1/consultation_queue/{pk}", headers=staff_headers,
                      json={"answer": "   "})
    assert blank.status_code == 422
    answered = staff.put(f"/api/v1/consultation_queue/{pk}", headers=staff_headers,
                         json={"answer": "需要劳动合同和社保缴纳记录。"})
    assert answered.status_code == 200, answered.get_json()
    mine = client.get(f"/api/v1/my_consultation/{pk}", headers=headers).get_json()["result"]
    assert mine["answer"] == "需要劳动合同和社保缴纳记录。" and mine["answered_at"].endswith("+08:00")
    messages = client.get("/api/v1/my_message/", headers=headers).get_json()
    about = next(m for m in messages["result"] if "初始注册需要哪些材料" in m["title"])
    assert about["read_at"] is None
    client.get(f"/api/v1/my_message/{about['id']}", headers=headers)
    reread = client.get(f"/api/v1/my_message/{about['id']}", headers=headers).get_json()
    assert reread["result"]["read_at"] is not None
    assert client.post("/api/v1/my_message/read_all", headers=headers).get_json()["marked"] >= 1


def test_the_enterprise_administrator_adds_a_staff_account(app):
    client, headers = _bearer(app, "ent_a")
    made = client.post("/api/v1/enterprise_staff/", headers=headers, json={
        "username": "ent_a_clerk", "full_name": "李经办", "email": "",
        "password": "Clerk-Passw0rd!x"})
    assert made.status_code == 201, made.get_json()
    listed = client.get("/api/v1/enterprise_staff/", headers=headers).get_json()["result"]
    assert {row["user"]["username"] for row in listed} >= {"ent_a", "ent_a_clerk"}
    other, other_headers = _bearer(app, "ent_b")
    theirs = other.get("/api/v1/enterprise_staff/", headers=other_headers).get_json()["result"]
    assert "ent_a_clerk" not in {row["user"]["username"] for row in theirs}
    weak = client.post("/api/v1/enterprise_staff/", headers=headers, json={
        "username": "ent_a_weak", "full_name": "王经办", "password": "123456"})
    assert weak.status_code == 422 and "password" in weak.get_json()["message"]


def _draft_body(client, headers, app_type: str, enterprise) -> dict:
    """A valid body for each type, its related rows taken from the form's own choices."""
    def choices(field):
        answer = client.get(f"/api/v1/apply_{app_type}/choices/{field}", headers=headers)
        assert answer.status_code == 200, (app_type, field, answer.get_json())
        return answer.get_json()["results"]

    q = qualification("constructor")
    held, other = q.specialties[0].id, q.specialties[1].id
    registration = {"registration": choices("registration")[0]["id"]} \
        if app_type in ("change", "renewal", "add_specialty", "cancellation") else {}
    return {**registration, **{
        "initial": {"qualification": q.id, "specialties": [other], "enterprise": enterprise.id},
        "re_registration": {"qualification": q.id, "specialties": [held],
                            "enterprise": enterprise.id, "continuing_education": "2025年 24学时"},
        "change": {"enterprise": enterprise.id, "change_reason": "工作调动"},
        "renewal": {"specialties": [held], "continuing_education": "2025年 24学时"},
        "add_specialty": {"specialties": [other]},
        "cancellation": {"cancellation_reason": "不再从事相关工作"},
        "correction": {"correction_field": "phone", "correction_value": "13800000009",
                       "correction_reason": "手机号码已更换"},
    }[app_type]}


@pytest.mark.parametrize("app_type", [t.name for t in APPLICATION_FORMS])
def test_a_draft_of_each_type_through_its_own_form(app, app_type):
    enterprise = enterprise_of("ent_a", app)
    person = make_applicant(app, f"api_{app_type}", enterprise)
    registration = put_registration(person, enterprise, [dt.date(2027, 1, 15)])
    client, headers = _bearer(app, f"api_{app_type}")
    made = client.post(f"/api/v1/apply_{app_type}/", headers=headers,
                       json=_draft_body(client, headers, app_type, enterprise_of("ent_b", app)
                                        if app_type == "change" else enterprise))
    assert made.status_code == 201, made.get_json()
    shown = client.get(f"/api/v1/my_application/{made.get_json()['id']}",
                       headers=headers).get_json()["result"]
    assert (shown["app_type"], shown["state"]) == (app_type, "draft")
    if "registration" in APPLICATION_FORMS[ApplicationType[app_type]]:
        assert shown["registration"]["id"] == registration.id
    # Another person's registration is not among the choices, and naming it is refused.
    others = db.session.scalar(sa.text(
        "SELECT r.id FROM registration r JOIN practitioner p ON p.id = r.practitioner_id "
        "WHERE p.real_name = '测试乙'"))
    if "registration" in APPLICATION_FORMS[ApplicationType[app_type]]:
        assert others not in {c["id"] for c in client.get(
            f"/api/v1/apply_{app_type}/choices/registration", headers=headers
        ).get_json()["results"]}


def test_a_certificate_off_the_roster_is_declared_with_its_scan_and_verified(app):
    import io

    from tests import image_samples

    client, headers = _bearer(app, "prac_b")
    q = qualification("constructor")
    made = client.post("/api/v1/my_qualification_certificate/", headers=headers, data={
        "qualification": str(q.id), "specialty": str(q.specialties[1].id),
        "certificate_number": "JZ-OFF-ROSTER-1", "issue_date": "2024-05-20",
        "scan": (io.BytesIO(image_samples.scan_pdf()), "scan.pdf")},
        content_type="multipart/form-data")
    assert made.status_code == 201, made.get_json()
    pk = made.get_json()["id"]
    mine = client.get(f"/api/v1/my_qualification_certificate/{pk}", headers=headers).get_json()
    assert mine["result"]["verification"] == "pending"
    without_scan = client.post("/api/v1/my_qualification_certificate/", headers=headers, json={
        "qualification": q.id, "specialty": q.specialties[1].id,
        "certificate_number": "JZ-OFF-ROSTER-2", "issue_date": "2024-05-20"})
    assert without_scan.status_code == 422 and "扫描" in without_scan.get_json()["message"]

    staff, staff_headers = _bearer(app, "reviewer")
    unreasoned = staff.put(f"/api/v1/qualification_roster/{pk}", headers=staff_headers,
                           json={"verification": "rejected"})
    assert unreasoned.status_code == 422 and "理由" in unreasoned.get_json()["message"]
    verified = staff.put(f"/api/v1/qualification_roster/{pk}", headers=staff_headers,
                         json={"verification": "verified"})
    assert verified.status_code == 200, verified.get_json()
    mine = client.get(f"/api/v1/my_qualification_certificate/{pk}", headers=headers).get_json()
    assert mine["result"]["verification"] == "verified"
    told = client.get("/api/v1/my_message/", headers=headers).get_json()["result"]
    assert [m["kind"] for m in told if "JZ-OFF-ROSTER-1" in m["title"]] == [
        "certificate_verification"]
