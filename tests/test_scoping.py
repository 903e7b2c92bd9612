"""Row scoping: a practitioner reaches only their own records and enterprise staff only
their enterprise's. Another's id in the URL answers 404, exactly like an id that does not
exist, by GET and by POST, on list, show, edit and delete, and nothing changes."""
import pytest
import sqlalchemy as sa

from app.enums import ApplicationState, AuditResult
from app.extensions import db
from app.models import (
    Application,
    AuditLog,
    Consultation,
    Employment,
    Enterprise,
    EnterpriseUser,
    Notification,
    Practitioner,
    QualificationCertificate,
    Registration,
)
from app.security import ROLES
from tests.people import ID_A, ID_B

# view, model, how to find the record that belongs to "a" or "b"
PRACTITIONER_VIEWS = [
    ("MyProfileView", Practitioner, lambda who: Practitioner.id_number == who["id"]),
    ("MyQualificationCertificateView", QualificationCertificate,
     lambda who: QualificationCertificate.id_number == who["id"]),
    ("MyApplicationView", Application, lambda who: Application.practitioner_id == who["pid"]),
    ("MyRegistrationView", Registration, lambda who: Registration.practitioner_id == who["pid"]),
    ("MyConsultationView", Consultation, lambda who: Consultation.asker_id == who["uid"]),
    ("MyNotificationView", Notification, lambda who: Notification.user_id == who["uid"]),
]
ENTERPRISE_VIEWS = [
    ("OwnEnterpriseView", Enterprise, lambda who: Enterprise.id == who["eid"]),
    ("EnterpriseEmploymentView", Employment, lambda who: Employment.enterprise_id == who["eid"]),
    ("EnterpriseApplicationView", Application, lambda who: Application.enterprise_id == who["eid"]),
    ("EnterpriseRegistrationView", Registration, lambda who: Registration.enterprise_id == who["eid"]),
    ("EnterpriseStaffView", EnterpriseUser, lambda who: EnterpriseUser.enterprise_id == who["eid"]),
]


def _who(app, suffix):
    sm = app.appbuilder.sm
    practitioner = db.session.scalar(sa.select(Practitioner).filter_by(
        id_number=ID_A if suffix == "a" else ID_B))
    ent_user = sm.find_user(username=f"ent_{suffix}")
    eid = db.session.scalar(sa.select(EnterpriseUser.enterprise_id).filter_by(user_id=ent_user.id))
    return {"id": practitioner.id_number, "pid": practitioner.id,
            "uid": practitioner.user_id, "eid": eid}


def _snapshot(model, pk):
    db.session.expire_all()
    row = db.session.get(model, pk)
    return None if row is None else {c.key: getattr(row, c.key) for c in model.__table__.c}


def _granted(role_key, view):
    from app.security import SIGNED_IN

    return {**SIGNED_IN, **ROLES[role_key].grants}.get(view, ())


def _attempts(base, pk):
    return [
        ("GET", f"{base}/show/{pk}", "can_show"),
        ("GET", f"{base}/edit/{pk}", "can_edit"),
        ("POST", f"{base}/edit/{pk}", "can_edit"),
        ("GET", f"{base}/delete/{pk}", "get-delete"),
        ("POST", f"{base}/delete/{pk}", "can_delete"),
        ("POST", f"{base}/action/muldelete/{pk}", None),
        ("POST", f"{base}/action_post", None),
    ]


def _assert_unreachable(app, client, role_key, view, model, own_filter, other, username):
    base = "/" + view.lower()
    theirs = db.session.scalar(sa.select(model.id).where(own_filter(other)))
    assert theirs is not None, "fixture should give the other party a record"
    before = _snapshot(model, theirs)
    not_found = 0
    for method, url, permission in _attempts(base, theirs):
        data = {"rowid": str(theirs), "action": "muldelete", "phone": "13999999999",
                "address": "被篡改", "end_date": "2020-01-01"}
        response = client.open(url, method=method, data=data if method == "POST" else None)
        if permission == "get-delete":
            # Never a state change by GET: refused (redirect with a message) before any lookup.
            expected = {302} if "can_delete" in _granted(role_key, view) else {403}
        else:
            allowed = permission is None or permission in _granted(role_key, view)
            # With the permission the row is simply not found; without it access is refused.
            expected = {404} if allowed else {403}
        assert response.status_code in expected, (method, url, response.status_code)
        not_found += response.status_code == 404
    assert _snapshot(model, theirs) == before
    # Every out-of-scope id that reached a lookup is in the audit log as a denied access.
    denied = db.session.scalars(sa.select(AuditLog).where(
        AuditLog.action == "access", AuditLog.object_id == str(theirs),
        AuditLog.object_type == model.__name__)).all()
    assert len(denied) == not_found
    assert {(row.result, row.actor_name) for row in denied} <= {(AuditResult.denied, username)}


@pytest.fixture(autouse=True)
def submitted_applications(app):
    """The cast's applications as submitted: a draft is the applicant's alone, so the
    enterprise would not see it at all (see the test at the end)."""
    db.session.execute(sa.update(Application).values(state=ApplicationState.pending_enterprise))
    db.session.commit()


SCOPED = [("prac_a", "practitioner", *v) for v in PRACTITIONER_VIEWS] + [
    ("ent_a", "enterprise", *v) for v in ENTERPRISE_VIEWS]


@pytest.mark.parametrize("username, role_key, view, model, own", SCOPED, ids=[v[2] for v in SCOPED])
def test_nobody_reaches_another_partys_records(app, login, username, role_key, view, model, own):
    client = login(username)
    mine = db.session.scalar(sa.select(model.id).where(own(_who(app, "a"))))
    assert client.get(f"/{view.lower()}/show/{mine}").status_code == 200
    _assert_unreachable(app, client, role_key, view, model, own, _who(app, "b"), username)


@pytest.mark.parametrize("view, model, own", PRACTITIONER_VIEWS + ENTERPRISE_VIEWS,
                         ids=[v[0] for v in PRACTITIONER_VIEWS + ENTERPRISE_VIEWS])
def test_lists_show_only_ones_own_rows(app, login, view, model, own):
    username = "prac_a" if view.startswith("My") else "ent_a"
    html = login(username).get(f"/{view.lower()}/list/").get_data(as_text=True)
    mine = db.session.scalar(sa.select(model.id).where(own(_who(app, "a"))))
    theirs = db.session.scalar(sa.select(model.id).where(own(_who(app, "b"))))
    assert f"/show/{mine}" in html
    assert f"/show/{theirs}" not in html


def test_own_record_can_be_edited_and_the_change_is_kept(app, login):
    client = login("prac_a")
    me = _who(app, "a")
    response = client.post(f"/myprofileview/edit/{me['pid']}",
                           data={"phone": "13911112222", "email": "", "education": "本科"})
    assert response.status_code == 302
    assert _snapshot(Practitioner, me["pid"])["phone"] == "13911112222"


def test_an_account_without_a_practitioner_record_sees_nothing(app, login):
    html = login("reviewer").get("/myapplicationview/list/")
    assert html.status_code == 403  # not even the menu: the role has no such grant
    client = login("ent_a")
    assert client.get("/myprofileview/list/").status_code == 403


def test_a_draft_is_seen_by_its_applicant_only(app, login):
    me = _who(app, "a")
    draft = db.session.scalar(sa.select(Application.id).filter_by(practitioner_id=me["pid"]))
    db.session.execute(sa.update(Application).where(Application.id == draft)
                       .values(state=ApplicationState.draft))
    db.session.commit()
    assert login("prac_a").get(f"/myapplicationview/show/{draft}").status_code == 200
    for username, view in (("ent_a", "enterpriseapplicationview"), ("reviewer", "applicationadminview")):
        client = login(username)
        assert client.get(f"/{view}/show/{draft}").status_code == 404
        assert f"/show/{draft}" not in client.get(f"/{view}/list/").get_data(as_text=True)
