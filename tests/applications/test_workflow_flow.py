"""The application workflow end to end: forms, pre-checks, returns and resubmission,
separation of duties, deadlines, effects of each application type, and concurrency."""
import datetime as dt
import io
import re
import threading

import pytest
import sqlalchemy as sa

from app.dates import add_years, province_today
from app.enums import ApplicationState as S
from app.enums import ApplicationType, RegistrationStatus
from app.extensions import db
from app.models import Application, Decision, Employment, Registration, StoredFile
from app.workflow import BY_NAME
from tests import image_samples as samples
from tests import logins
from tests.workflow_support import (
    act,
    act_web,
    enterprise_of,
    history,
    make_applicant,
    payload_for,
    put_application,
    qualification,
    state_of,
)

FORWARD = {"confirm": ["pledge", "contract_checked", "insurance_checked"]}


@pytest.fixture
def cast(app, login):
    """An eligible applicant at enterprise A and signed-in clients for each party."""
    person = make_applicant(app, "applicant", enterprise_of("ent_a", app))
    return {"person": person, "me": login("applicant"), "ent": login("ent_a"),
            "reviewer": login("reviewer"), "approver": login("approver")}


def _create_initial_by_form(cast) -> int:
    q = qualification()
    form = {"qualification": str(q.id), "specialties": [str(q.specialties[0].id)],
            "enterprise": str(cast["person"].employments[0].enterprise_id),
            "continuing_education": ""}
    response = cast["me"].post("/apply/initial/add", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    return db.session.scalar(sa.select(Application.id).filter_by(
        practitioner_id=cast["person"].id, state=S.draft))


def test_initial_registration_from_form_to_registration(app, cast):
    app_id = _create_initial_by_form(cast)
    assert act(cast["me"], app_id, "submit").status_code == 200
    assert state_of(app_id) == S.pending_enterprise
    assert act(cast["ent"], app_id, "forward", **FORWARD).status_code == 200
    assert state_of(app_id) == S.pending_acceptance
    assert act(cast["reviewer"], app_id, "accept").status_code == 200
    assert act(cast["reviewer"], app_id, "pass_review", reason="符合注册条件").status_code == 200
    response = act(cast["approver"], app_id, "approve")
    assert response.status_code == 200 and response.json["state"] == "approved"

    steps = [(d.transition, d.from_state, d.to_state) for d in history(app_id)]
    assert steps == [("submit", S.draft, S.pending_enterprise),
                     ("forward", S.pending_enterprise, S.pending_acceptance),
                     ("accept", S.pending_acceptance, S.under_review),
                     ("pass_review", S.under_review, S.pending_decision),
                     ("approve", S.pending_decision, S.approved)]
    registration = db.session.scalar(sa.select(Registration).filter_by(
        practitioner_id=cast["person"].id))
    today = province_today()
    assert re.fullmatch(rf"粤244{2025}{today.year}\d{{5}}", registration.number)
    [period] = registration.specialties
    assert period.specialty.name == "建筑工程"
    assert period.expires_on == add_years(today, 3)
    assert registration.status == RegistrationStatus.valid


def test_a_blocking_precheck_stops_submission_with_its_message(app, login):
    person = make_applicant(app, "nophoto", enterprise_of("ent_a", app), photo=False)
    app_id = put_application(person, enterprise_of("ent_a", app), S.draft)
    response = act(login("nophoto"), app_id, "submit")
    assert response.status_code == 422
    assert "证件照" in response.json["message"]
    assert state_of(app_id) == S.draft and history(app_id) == []


def test_over_age_applicant_is_blocked(app, login):
    person = make_applicant(app, "senior", enterprise_of("ent_a", app), birth=dt.date(1955, 1, 1))
    app_id = put_application(person, enterprise_of("ent_a", app), S.draft)
    response = act(login("senior"), app_id, "submit")
    assert response.status_code == 422 and "65" in response.json["message"]


def test_returns_go_to_the_practitioner_and_resubmission_passes_the_enterprise(app, cast):
    app_id = put_application(cast["person"], enterprise_of("ent_a", app), S.pending_acceptance)
    missing = act(cast["reviewer"], app_id, "review_return", reason="请补正")
    assert missing.status_code == 422 and "items" in missing.json["details"]
    # The real-name-verified ID number is not the applicant's to correct: not an item.
    refused = act(cast["reviewer"], app_id, "review_return", reason="请补正",
                  items=[{"field": "身份证号码", "reason": "扫描件不清晰"}])
    assert refused.status_code == 422 and "身份证号码" in refused.json["details"]["items"]
    items = [{"field": "证件照片", "reason": "扫描件不清晰"}, {"field": "劳动合同", "reason": "已过期"}]
    assert act(cast["reviewer"], app_id, "review_return", reason="请补正",
               items=items).status_code == 200
    assert state_of(app_id) == S.returned
    page = cast["me"].get(f"/myapplicationview/show/{app_id}").get_data(as_text=True)
    assert "扫描件不清晰" in page and "已过期" in page and "请补正" in page
    assert act(cast["me"], app_id, "resubmit").status_code == 200
    assert state_of(app_id) == S.pending_enterprise
    assert act(cast["ent"], app_id, "enterprise_return").status_code == 422  # reason needed
    assert act(cast["ent"], app_id, "enterprise_return", reason="社保记录不符").status_code == 200
    assert state_of(app_id) == S.returned
    assert [d.transition for d in history(app_id)] == ["review_return", "resubmit",
                                                       "enterprise_return"]


def test_forward_needs_every_recorded_check(app, cast):
    app_id = put_application(cast["person"], enterprise_of("ent_a", app), S.pending_enterprise)
    response = act(cast["ent"], app_id, "forward", confirm=["pledge"])
    assert response.status_code == 422 and "confirm" in response.json["details"]
    assert state_of(app_id) == S.pending_enterprise


def test_the_reviewer_of_an_application_cannot_decide_it(app, login):
    enterprise = enterprise_of("ent_a", app)
    make_applicant(app, "both", enterprise, roles=("reviewer", "approver"))
    person = make_applicant(app, "someone", enterprise)
    app_id = put_application(person, enterprise, S.pending_acceptance)
    both = login("both")
    assert act(both, app_id, "accept").status_code == 200
    assert act(both, app_id, "pass_review", reason="通过").status_code == 200
    response = act(both, app_id, "approve")
    assert response.status_code == 403 and "分离" in response.json["message"]
    assert state_of(app_id) == S.pending_decision
    page = both.get(f"/applicationadminview/show/{app_id}").get_data(as_text=True)
    assert 'data-transition="approve"' not in page
    assert act(login("approver"), app_id, "approve").status_code == 200


def test_state_cannot_be_set_through_a_form(app, cast):
    app_id = put_application(cast["person"], enterprise_of("ent_a", app), S.draft)
    q = qualification()
    cast["me"].post(f"/apply/initial/edit/{app_id}", data={
        "qualification": str(q.id), "specialties": [str(q.specialties[0].id)],
        "enterprise": str(enterprise_of("ent_a", app).id), "state": "approved",
        "continuing_education": ""})
    assert state_of(app_id) == S.draft


def test_web_form_route_flashes_and_redirects(app, cast):
    app_id = put_application(cast["person"], enterprise_of("ent_a", app), S.pending_enterprise)
    response = act_web(cast["ent"], app_id, "forward", payload_for(BY_NAME["forward"]))
    assert response.status_code == 302
    assert state_of(app_id) == S.pending_acceptance
    again = act_web(cast["ent"], app_id, "forward", payload_for(BY_NAME["forward"]))
    assert again.status_code == 302
    page = cast["ent"].get(again.headers["Location"]).get_data(as_text=True)
    assert "已被办理" in page


def test_accepting_starts_the_decision_time_limit(app, cast):
    app_id = put_application(cast["person"], enterprise_of("ent_a", app), S.pending_enterprise)
    act(cast["ent"], app_id, "forward", **FORWARD)
    db.session.expire_all()
    acceptance_deadline = db.session.get(Application, app_id).deadline
    assert acceptance_deadline > province_today()
    act(cast["reviewer"], app_id, "accept")
    db.session.expire_all()
    decision_deadline = db.session.get(Application, app_id).deadline
    assert (decision_deadline - province_today()).days >= 26  # 20 working days
    listing = cast["reviewer"].get("/reviewqueueview/list/").get_data(as_text=True)
    assert f"/show/{app_id}" in listing and "个工作日" in listing


def test_overdue_items_are_marked(app, cast):
    app_id = put_application(cast["person"], enterprise_of("ent_a", app), S.under_review)
    db.session.execute(sa.update(Application).where(Application.id == app_id)
                       .values(deadline=province_today() - dt.timedelta(days=10)))
    db.session.commit()
    listing = cast["reviewer"].get("/reviewqueueview/list/").get_data(as_text=True)
    assert "label-danger" in listing and "超期" in listing


# ---------------------------------------------------------------- effects of each type
def _approve(cast, app_id):
    db.session.execute(sa.update(Application).where(Application.id == app_id)
                       .values(state=S.pending_decision))
    db.session.commit()
    response = act(cast["approver"], app_id, "approve")
    assert response.status_code == 200, response.json
    db.session.expire_all()


def _registered(cast, app):
    """Give the applicant a valid registration through an approved initial application."""
    app_id = put_application(cast["person"], enterprise_of("ent_a", app), S.pending_decision)
    _approve(cast, app_id)
    return db.session.scalar(sa.select(Registration).filter_by(practitioner_id=cast["person"].id))


def test_change_moves_the_employment_and_keeps_the_expiry(app, cast):
    registration = _registered(cast, app)
    expiry = registration.specialties[0].expires_on
    other = enterprise_of("ent_b", app)
    app_id = put_application(cast["person"], other, S.pending_decision,
                             app_type=ApplicationType.change, registration=registration)
    _approve(cast, app_id)
    registration = db.session.get(Registration, registration.id)
    assert registration.enterprise_id == other.id
    assert registration.specialties[0].expires_on == expiry
    current = db.session.scalars(sa.select(Employment).filter_by(
        practitioner_id=cast["person"].id, end_date=None)).all()
    assert [e.enterprise_id for e in current] == [other.id]


def test_renewal_only_inside_the_window_and_gives_a_full_period(app, cast):
    registration = _registered(cast, app)
    period = registration.specialties[0]
    app_id = put_application(cast["person"], enterprise_of("ent_a", app), S.draft,
                             app_type=ApplicationType.renewal, registration=registration)
    outside = act(cast["me"], app_id, "submit")
    assert outside.status_code == 422 and "延续" in outside.json["message"]
    period.expires_on = province_today() + dt.timedelta(days=60)
    db.session.commit()
    assert act(cast["me"], app_id, "submit").status_code == 200
    _approve(cast, app_id)
    renewed = db.session.get(Registration, registration.id).specialties[0]
    assert renewed.expires_on == add_years(province_today() + dt.timedelta(days=60), 3)


def test_add_specialty_keeps_the_other_expiries(app, cast):
    registration = _registered(cast, app)
    first = registration.specialties[0].expires_on
    q = qualification()
    app_id = put_application(cast["person"], enterprise_of("ent_a", app), S.pending_decision,
                             app_type=ApplicationType.add_specialty, registration=registration)
    item = db.session.get(Application, app_id)
    item.specialties = [q.specialties[1]]
    db.session.commit()
    _approve(cast, app_id)
    periods = {p.specialty.name: p.expires_on
               for p in db.session.get(Registration, registration.id).specialties}
    assert periods == {"建筑工程": first, "公路工程": add_years(province_today(), 3)}


def test_cancellation_ends_the_registration_and_re_registration_starts_anew(app, cast):
    registration = _registered(cast, app)
    app_id = put_application(cast["person"], enterprise_of("ent_a", app), S.pending_decision,
                             app_type=ApplicationType.cancellation, registration=registration)
    _approve(cast, app_id)
    assert db.session.get(Registration, registration.id).status == RegistrationStatus.cancelled
    again = put_application(cast["person"], enterprise_of("ent_a", app), S.pending_decision,
                            app_type=ApplicationType.re_registration)
    _approve(cast, again)
    numbers = db.session.scalars(sa.select(Registration.number).filter_by(
        practitioner_id=cast["person"].id)).all()
    assert len(set(numbers)) == 2


def test_data_correction_replaces_registry_data(app, cast):
    _registered(cast, app)
    app_id = put_application(cast["person"], None, S.pending_decision,
                             app_type=ApplicationType.correction,
                             details={"corrections": {"real_name": "王璟", "id_number": "x"}})
    _approve(cast, app_id)
    person = db.session.get(type(cast["person"]), cast["person"].id)
    assert person.real_name == "王璟" and person.id_number != "x"  # only correctable fields


def _file_correction(cast, kind, content, **form):
    data = {"correction_field": kind, "correction_value": "", "correction_reason": "照片过旧",
            "correction_file": (io.BytesIO(content), "new.jpg"), **form}
    return cast["me"].post("/apply/correction/add", data=data,
                           content_type="multipart/form-data")


def test_a_new_photo_after_entry_is_a_correction_seen_by_the_reviewer_then_approved(
        app, cast, login):
    _registered(cast, app)
    old_photo = cast["person"].photo_id
    before = db.session.scalar(sa.select(sa.func.count(StoredFile.id)))
    refused = _file_correction(cast, "photo", samples.PDF)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "未被接受" in page and "照片过旧" in page  # form kept
    assert db.session.scalar(sa.select(sa.func.count(StoredFile.id))) == before

    assert _file_correction(cast, "photo", samples.photo()).status_code == 302
    item = db.session.scalar(sa.select(Application).filter_by(
        practitioner_id=cast["person"].id, app_type=ApplicationType.correction))
    new_photo = item.details["corrections"]["photo_id"]
    assert new_photo != old_photo and "correction_file" not in item.details
    assert cast["me"].get(f"/registry/file/{new_photo}").status_code == 200
    assert login("prac_b").get(f"/registry/file/{new_photo}").status_code == 404

    assert act(cast["me"], item.id, "submit").status_code == 200
    assert act(cast["ent"], item.id, "forward", **FORWARD).status_code == 200
    shown = cast["reviewer"].get(f"/acceptancequeueview/show/{item.id}").get_data(as_text=True)
    assert f"/registry/file/{new_photo}" in shown and f"/registry/file/{old_photo}" in shown
    assert "照片过旧" in shown and cast["reviewer"].get(
        f"/registry/file/{new_photo}").status_code == 200
    assert db.session.get(type(cast["person"]), cast["person"].id).photo_id == old_photo
    _approve(cast, item.id)
    assert db.session.get(type(cast["person"]), cast["person"].id).photo_id == new_photo


def test_a_text_correction_needs_a_value(app, cast):
    _registered(cast, app)
    page = cast["me"].post("/apply/correction/add", data={
        "correction_field": "phone", "correction_value": "", "correction_reason": "换号"})
    assert "请填写正确的值" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Application.id)).filter_by(
        app_type=ApplicationType.correction)) == 0


# ---------------------------------------------------------------- concurrency
def test_two_reviewers_at_once_make_one_transition(app, login, monkeypatch):
    """Both requests read the application before either writes (a barrier after the read
    forces the worst interleaving), on separate real database connections."""
    import app.applications.transitions as transitions

    make_applicant(app, "reviewer2", enterprise_of("ent_a", app), roles=("reviewer",))
    person = make_applicant(app, "raced", enterprise_of("ent_a", app))
    clients = [login("reviewer"), login("reviewer2")]
    results = []
    barrier = threading.Barrier(2, timeout=10)
    original_load = transitions._load

    def load_then_wait(*args):
        loaded = original_load(*args)
        barrier.wait()
        return loaded

    monkeypatch.setattr(transitions, "_load", load_then_wait)
    for _round in range(5):
        app_id = put_application(person, enterprise_of("ent_a", app), S.pending_acceptance)
        barrier.reset()

        def attempt(client, app_id=app_id):
            results.append(act(client, app_id, "accept").status_code)

        threads = [threading.Thread(target=attempt, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results[-2:]) == [200, 409], results
        assert [d.transition for d in history(app_id)] == ["accept"]
    assert db.session.scalar(sa.select(sa.func.count(Decision.id)).where(
        Decision.transition == "accept")) == 5


def test_the_same_route_serves_api_clients_with_a_token(app, cast, client):
    app_id = put_application(cast["person"], enterprise_of("ent_a", app), S.pending_acceptance)
    token = logins.api_token(client, "reviewer")
    anonymous = client.post(f"/api/v1/application/{app_id}/accept", json={})
    assert anonymous.status_code == 401 and state_of(app_id) == S.pending_acceptance
    response = client.post(f"/api/v1/application/{app_id}/accept", json={},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json["state"] == "under_review"


def test_a_second_open_application_is_refused_in_words(app, cast):
    first = _create_initial_by_form(cast)
    q = qualification()
    response = cast["me"].post("/apply/initial/add", follow_redirects=True, data={
        "qualification": str(q.id), "specialties": [str(q.specialties[0].id)],
        "enterprise": str(enterprise_of("ent_a", app).id), "continuing_education": ""})
    assert f"{first}" in response.get_data(as_text=True) and "仍在办理" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Application.id)).filter_by(
        practitioner_id=cast["person"].id)) == 1
