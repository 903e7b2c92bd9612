"""The audit trail (app/audit.py): what is recorded, that secrets are not, that nobody can
change it through the application or (on PostgreSQL) the database, and its retention."""
import datetime as dt
import io
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from app.dates import province_today
from app.enums import ApplicationState as S
from app.enums import ApplicationType, AuditResult
from app.extensions import db
from app.models import Application, AuditLog, Decision, Practitioner, QualificationType
from tests import image_samples as samples
from tests import logins
from tests.people import PASSWORD
from tests.workflow_support import (
    act,
    enterprise_of,
    make_applicant,
    make_certificate_holder,
    put_application,
    put_registration,
    qualification,
    state_of,
)


def _rows(action: str | None = None, **where) -> list[AuditLog]:
    db.session.expire_all()
    query = sa.select(AuditLog).order_by(AuditLog.id)
    if action is not None:
        query = query.where(AuditLog.action == action)
    return list(db.session.scalars(query.filter_by(**where)))


def _everything_written() -> str:
    """Every audit row as text, to look for secrets anywhere in it."""
    return json.dumps([[str(getattr(r, c.key)) for c in AuditLog.__table__.columns]
                       for r in _rows()], ensure_ascii=False)


# ---------------------------------------------------------------- sign-in and sign-out
def test_logins_failures_and_logout_are_recorded_without_passwords(app, client):
    assert client.post("/login/", data={"username": "reviewer", "password": "Wrong-Passw0rd!"}
                       ).status_code in (200, 302)
    client.post("/login/", data={"username": "nobody-here", "password": "Guess-Passw0rd!"})
    logins.login(client, "reviewer")
    client.get("/logout/")

    wrong, unknown, success = _rows("login")
    assert (wrong.actor_name, wrong.result) == ("reviewer", AuditResult.failure)
    assert (unknown.actor_name, unknown.result) == (None, AuditResult.failure)
    assert unknown.detail["username"] == "nobody-here"
    assert (success.actor_name, success.result) == ("reviewer", AuditResult.success)
    assert success.actor_role == "审查人员" and success.client_address == "127.0.0.1"
    [logout] = _rows("logout")
    assert logout.actor_name == "reviewer" and logout.actor_id == success.actor_id
    written = _everything_written()
    for secret in ("Wrong-Passw0rd!", "Guess-Passw0rd!", PASSWORD, "scrypt:", "pbkdf2:"):
        assert secret not in written


# ---------------------------------------------------------------- workflow transitions
@pytest.fixture
def waiting(app, login):
    """An application waiting for acceptance, and the reviewer's client."""
    person = make_applicant(app, "applicant", enterprise_of("ent_a", app))
    app_id = put_application(person, enterprise_of("ent_a", app), S.pending_acceptance)
    return app_id, login("reviewer")


def test_a_transition_writes_one_row_with_its_decision(app, waiting):
    app_id, reviewer = waiting
    assert act(reviewer, app_id, "accept").status_code == 200
    [row] = _rows("transition:accept")
    [decision] = db.session.scalars(sa.select(Decision).filter_by(application_id=app_id))
    assert (row.object_type, row.object_id, row.result) == ("Application", str(app_id),
                                                           AuditResult.success)
    assert row.detail["from"] == "pending_acceptance" and row.detail["to"] == "under_review"
    assert row.actor_id == decision.actor_id and row.actor_name == "reviewer"


def test_refused_attempts_are_recorded_as_denied_and_change_nothing(app, login, waiting):
    app_id, reviewer = waiting
    assert act(login("prac_a"), app_id, "accept").status_code == 403
    assert act(reviewer, app_id, "approve").status_code == 403  # not the reviewer's to do
    assert act(reviewer, app_id, "pass_review").status_code == 409  # not in review yet
    assert act(reviewer, 999999, "accept").status_code == 404
    assert state_of(app_id) == S.pending_acceptance
    assert not db.session.scalars(sa.select(Decision).filter_by(application_id=app_id)).all()
    denied = [(r.action, r.actor_name, r.detail["status"]) for r in _rows()
              if r.action.startswith("transition:")]
    assert denied == [("transition:accept", "prac_a", 403), ("transition:approve", "reviewer", 403),
                      ("transition:pass_review", "reviewer", 409),
                      ("transition:accept", "reviewer", 404)]
    assert all(r.result == AuditResult.denied for r in _rows() if r.action.startswith("transition:"))


# ---------------------------------------------------------------- screens and the API
def test_an_edit_on_a_screen_records_the_changed_fields(app, login):
    constructor = db.session.scalar(sa.select(QualificationType).filter_by(code="constructor"))
    form = {"validity_years": "3", "initial_window_years": "3", "age_cap": "66",
            "number_pattern": constructor.number_pattern or ""}
    response = login("sysadmin").post(f"/qualificationtypeview/edit/{constructor.id}", data=form)
    assert response.status_code == 302
    [row] = _rows("update", object_type="QualificationType")
    assert row.object_id == str(constructor.id) and row.actor_name == "sysadmin"
    assert row.detail["changes"] == {"age_cap": {"old": 65, "new": 66}}


def test_an_api_change_records_old_and_new_values(app, login):
    person = db.session.scalar(sa.select(Practitioner).order_by(Practitioner.id))
    old_phone = person.phone
    response = login("reviewer").put(f"/api/v1/practitioner/{person.id}",
                                     json={"phone": "13912345678"})
    assert response.status_code == 200, response.json
    [row] = _rows("update", object_type="Practitioner")
    assert row.detail["changes"]["phone"] == {"old": old_phone, "new": "13912345678"}


def test_an_account_change_on_fab_screens_is_recorded_without_the_password_hash(app, login):
    sm = app.appbuilder.sm
    user = sm.find_user(username="prac_b")
    response = login("sysadmin").post(f"/users/edit/{user.id}", data={
        "first_name": "改过的名字", "username": user.username,
        "email": user.email, "active": "y", "roles": [str(r.id) for r in user.roles]})
    assert response.status_code == 302
    [row] = _rows("update", object_type="User")
    assert row.actor_name == "sysadmin" and row.object_id == str(user.id)
    assert row.detail["changes"]["first_name"]["new"] == "改过的名字"
    assert "password" not in row.detail["changes"]


# ---------------------------------------------------------------- certificates and lookups
@pytest.fixture
def holder(app, login):
    """A registered practitioner with real images (the PDF needs them), signed in."""
    return make_certificate_holder(app, login)[1]


def test_a_certificate_download_is_recorded(app, login, holder):
    response = login("holder").post(f"/myregistrationview/action/certificate/{holder.id}")
    assert response.mimetype == "application/pdf"
    [row] = _rows("certificate_download")
    assert row.actor_name == "holder" and row.detail["registration"] == holder.number
    assert row.object_id == str(holder.current_certificate.id)


def test_public_verifications_are_recorded_without_what_was_typed(app, client, holder):
    token = holder.current_certificate.token
    assert client.get(f"/verify/{token}").status_code == 200
    assert client.get("/verify/no-such-token").status_code == 404
    found, unknown = _rows("verify_certificate")
    assert (found.result, found.object_id) == (AuditResult.success,
                                               str(holder.current_certificate.id))
    assert (unknown.result, unknown.object_id) == (AuditResult.failure, None)
    assert found.actor_id is None and found.client_address == "127.0.0.1"
    assert token not in _everything_written()


def test_a_register_export_is_recorded_with_its_row_count(app, login, holder):
    response = login("reviewer").get("/registrationadminview/export/csv")
    body = response.get_data(as_text=True)  # the row is written once the last line is out
    [row] = _rows("register_export")
    assert row.actor_name == "reviewer" and row.detail["rows"] == body.count("\n") - 1 >= 1


# ---------------------------------------------------------------- read only, for the auditor
def test_the_log_has_no_edit_or_delete_route(app, login):
    clients = [login("auditor"), login("admin")]
    row_id = _rows("login")[0].id
    for client in clients:
        assert client.get(f"/auditlogview/edit/{row_id}").status_code in (403, 404)
        assert client.post(f"/auditlogview/edit/{row_id}", data={"action": "x"}
                           ).status_code in (403, 404, 405)
        assert client.post(f"/auditlogview/delete/{row_id}").status_code in (403, 404, 405)
        assert client.get(f"/auditlogview/delete/{row_id}").status_code in (403, 404)
        client.post("/auditlogview/action_post", data={"action": "muldelete", "rowid": row_id})
    assert db.session.get(AuditLog, row_id).action == "login"


def _cells(response) -> str:
    return "".join(response.get_data(as_text=True).split())


def test_the_auditor_lists_and_filters_the_log(app, login, client):
    client.post("/login/", data={"username": "nobody-here", "password": "x"})
    auditor = login("auditor")
    page = _cells(auditor.get("/auditlogview/list/"))
    assert "nobody-here" not in page  # the tried name is in the detail, not the list
    assert ">auditor<" in page and ">登录<" in page  # the recorded code "login", in words
    # FAB's search, "equal to" on the action: no logout has happened yet
    only_logout = auditor.get("/auditlogview/list/?_flt_3_action=logout")
    assert only_logout.status_code == 200 and ">登录<" not in _cells(only_logout)
    by_actor = auditor.get("/auditlogview/list/?_flt_3_actor_name=auditor").get_data(as_text=True)
    assert "auditor" in by_actor
    assert auditor.get("/auditlogview/list/?_flt_0_result=failure").status_code == 200
    since = (province_today() - dt.timedelta(days=1)).isoformat()
    assert auditor.get(f"/auditlogview/list/?_flt_1_created_at={since}").status_code == 200


# ---------------------------------------------------------------- the database guard, retention
def _old_row(days: int) -> int:
    row = AuditLog(action=f"old-{days}", result=AuditResult.success,
                   created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days))
    db.session.add(row)
    db.session.commit()
    return row.id


def test_postgresql_refuses_update_delete_and_truncate_of_audit_rows(app, backend):
    row_id = _old_row(1)
    statements = [f"UPDATE audit_log SET action = 'changed' WHERE id = {row_id}",
                  f"DELETE FROM audit_log WHERE id = {row_id}", "TRUNCATE audit_log"]
    for statement in statements:
        if backend == "postgresql":
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(sa.text(statement))
            db.session.rollback()
        else:  # SQLite (development only) has no guard: the application is the only one
            db.session.execute(sa.text(statement.replace("TRUNCATE", "DELETE FROM")))
            db.session.commit()
    still_there = db.session.get(AuditLog, row_id)
    assert (still_there is not None) == (backend == "postgresql")


def test_purge_keeps_the_retention_period_and_refuses_a_shorter_one(app, backend):
    old, recent = _old_row(200), _old_row(170)
    runner = app.test_cli_runner()
    app.config["AUDIT_RETENTION_DAYS"] = 179
    refused = runner.invoke(args=["audit", "purge"])
    assert refused.exit_code != 0 and "180" in refused.output
    assert db.session.get(AuditLog, old) is not None

    app.config["AUDIT_RETENTION_DAYS"] = 183
    result = runner.invoke(args=["audit", "purge"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(AuditLog, old) is None and db.session.get(AuditLog, recent) is not None
    [purge] = _rows("audit_purge")
    assert purge.detail["deleted"] == 1 and purge.detail["retention_days"] == 183
    if backend == "postgresql":  # the purge's permission ended with its transaction
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(sa.text(f"DELETE FROM audit_log WHERE id = {recent}"))
        db.session.rollback()


def test_a_secret_in_detail_never_reaches_the_log(app):
    from app.audit import record

    record("probe", detail={"password": "p1", "nested": {"api_token": "t1", "ok": "v"},
                            "client_secret": "s1", "photo": b"\x00" * 10}, commit=True)
    [row] = _rows("probe")
    assert row.detail == {"nested": {"ok": "v"}, "photo": "<10 bytes>"}


def test_a_transition_undone_by_its_effects_leaves_no_success_row(app, login):
    """Atomic: the audit row rides in the transition's transaction. Approving a specialty
    the registration already holds fails after the row was added; the rollback takes the
    state change, the decision and the row, and only the refusal is recorded."""
    person = make_applicant(app, "adder", enterprise_of("ent_a", app))
    registration = put_registration(person, enterprise_of("ent_a", app), [dt.date(2030, 1, 1)])
    app_id = put_application(person, enterprise_of("ent_a", app), S.pending_decision,
                             app_type=ApplicationType.add_specialty, registration=registration)
    application = db.session.get(Application, app_id)
    application.specialties = [qualification().specialties[0]]
    db.session.commit()
    assert act(login("approver"), app_id, "approve").status_code == 409
    assert state_of(app_id) == S.pending_decision
    [row] = _rows("transition:approve")
    assert (row.result, row.detail["status"]) == (AuditResult.denied, 409)


def test_an_account_with_audit_rows_is_kept_on_postgresql(app, login, backend):
    """The rows point at the account: PostgreSQL refuses to delete it (disable it instead);
    SQLite, without foreign keys enforced, deletes it, and the deletion is recorded."""
    login("prac_b")  # a login row now points at prac_b
    user_id = app.appbuilder.sm.find_user(username="prac_b").id
    login("sysadmin").post(f"/users/delete/{user_id}")
    db.session.expire_all()
    kept = app.appbuilder.sm.find_user(username="prac_b") is not None
    deletions = _rows("delete", object_type="User")
    if backend == "postgresql":
        assert kept and deletions == []
    else:
        assert not kept and [r.object_id for r in deletions] == [str(user_id)]


# ---------------------------------------------------------------- the hand-written routes
def test_sign_up_uploads_entry_staff_accounts_and_passwords_are_recorded(app, client, login):
    client.post("/signup/", data={"real_name": "李璟", "id_number": "440106200002290024",
                                  "phone": "13912345678", "password": "Regist3r-ok",
                                  "confirm": "Regist3r-ok"})
    [signup] = _rows("signup")
    assert signup.actor_name == "440106200002290024" and signup.object_type == "Practitioner"

    practitioner = login("prac_a")
    practitioner.post("/registry/upload/photo", content_type="multipart/form-data",
                      data={"file": (io.BytesIO(samples.photo()), "me.jpg")})
    [upload] = _rows("upload")
    assert upload.actor_name == "prac_a" and upload.detail["kind"] == "photo"
    practitioner.post("/registry/details", data={"phone": "13900001111", "email": "",
                                                 "education": "本科"})
    [update] = _rows("update", object_type="Practitioner")
    assert update.detail["changes"]["phone"]["new"] == "13900001111"

    admin = login("ent_a")
    admin.post("/enterprisestaffview/add", data={
        "username": "staff_a1", "full_name": "员工甲", "password": "Staff-2026a"})
    staff = app.appbuilder.sm.find_user(username="staff_a1")
    [chosen] = _rows("password_set_by_admin")
    assert chosen.object_id == str(staff.id) and chosen.actor_name == "ent_a"
    link_id = db.session.scalar(sa.text(
        "SELECT id FROM enterprise_user WHERE user_id = :u"), {"u": staff.id})
    admin.post("/enterprisestaffview/action_post", data={"action": "disable",
                                                         "rowid": str(link_id)})
    [disabled] = _rows("disable")
    assert disabled.object_id == str(staff.id) and disabled.actor_name == "ent_a"
    assert "Staff-2026a" not in _everything_written()


def test_role_changes_by_the_security_administrator_are_recorded(app, login):
    role = app.appbuilder.sm.add_role("临时查询角色")  # roles come from ROLES; edits are by hand
    secadmin = login("secadmin")
    assert secadmin.post(f"/roles/edit/{role.id}", data={"name": "临时角色"}).status_code == 302
    [changed] = _rows("update", object_type="Role")
    assert changed.detail["changes"]["name"] == {"old": "临时查询角色", "new": "临时角色"}
