"""Public verification over the API (issue 17): by token and by name plus number, with the
pages' masking, audit rows and rate limit, and nothing a cache may keep."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditLog, Certificate
from tests.workflow_support import make_certificate_holder


def test_a_token_and_a_name_with_number_give_the_masked_live_record(app, client, login):
    person, registration = make_certificate_holder(app, login, "api_public")
    token = db.session.scalar(sa.select(Certificate.token).filter_by(
        registration_id=registration.id))
    found = client.get(f"/api/v1/verify/certificate/{token}")
    assert found.status_code == 200 and found.headers["Cache-Control"] == "no-store"
    record = found.get_json()["record"]
    assert record["real_name"] == person.real_name
    assert record["masked_id_number"] == person.id_number[:6] + "********" + person.id_number[-4:]
    assert person.id_number not in found.get_data(as_text=True)
    assert found.get_json()["verdict"]["version"] == 1
    by_name = client.post("/api/v1/verify/registration", json={
        "real_name": person.real_name, "number": registration.number})
    assert by_name.status_code == 200 and by_name.get_json()["record"] == record
    wrong = client.post("/api/v1/verify/registration", json={
        "real_name": "别人", "number": registration.number})
    assert wrong.status_code == 404 and "没有" in wrong.get_json()["message"]
    unknown = client.get("/api/v1/verify/certificate/not-a-token/with/slashes")
    assert unknown.status_code == 404
    missing = client.post("/api/v1/verify/registration", json={"number": registration.number})
    assert missing.status_code == 422 and "real_name" in missing.get_json()["message"]
    rows = db.session.scalars(sa.select(AuditLog).where(
        AuditLog.action.in_(["verify_certificate", "verify_lookup"]))).all()
    assert len(rows) == 4
    assert not any(person.real_name in str(r.detail) or token in str(r.detail) for r in rows)


def test_the_pages_rate_limit_applies_per_address(app, client):
    app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    answers = [client.get("/api/v1/verify/certificate/unknown").status_code for _ in range(4)]
    assert answers == [404, 404, 404, 429]
    other = client.get("/api/v1/verify/certificate/unknown",
                       environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 404
