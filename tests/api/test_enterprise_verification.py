"""Verifying an enterprise through the API has the web screen's effect (issue 17): its
administrator's account starts to work. Enums are written by name, as the workflow API's
states are."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Enterprise
from tests import logins

FORM = {"name": "广州接口建设工程有限公司", "credit_code": "91110000600037341L",
        "legal_representative": "张三", "city": "广州市", "address": "天河路1号",
        "aptitude_certificate_no": "D144000001", "aptitude_expiry": "2030-01-01",
        "admin_name": "王经办", "username": "apico_admin", "phone": "13800000001",
        "password": "Apico-2026x", "confirm": "Apico-2026x"}


def _put(app, pk: int, body: dict):
    reviewer = app.test_client()
    token = logins.api_token(reviewer, "reviewer")
    return reviewer.put(f"/api/v1/enterprise/{pk}", json=body,
                        headers={"Authorization": f"Bearer {token}"})


def test_put_status_active_enables_the_enterprise_administrator(app, client):
    client.post("/signup/enterprise", data=FORM)
    enterprise = db.session.scalar(sa.select(Enterprise).filter_by(credit_code=FORM["credit_code"]))
    assert enterprise.status.name == "pending"
    refused = logins.login(app.test_client(), "apico_admin", FORM["password"], expect=False)
    assert "/login" in refused.headers.get("Location", "/login")
    response = _put(app, enterprise.id, {"status": "active"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"]["status"] == "active"
    logins.logged_in_client(app, "apico_admin", FORM["password"])  # fails unless enabled


def test_a_status_that_does_not_exist_is_refused_naming_the_field(app):
    enterprise = db.session.scalar(sa.select(Enterprise).limit(1))
    response = _put(app, enterprise.id, {"status": "Active"})  # the English label, not a name
    assert response.status_code == 422 and "status" in response.get_json()["message"]
    # marshmallow's English, said in Chinese (app/accounts/api_answers.py)
    [said] = response.get_json()["message"]["status"]
    assert said.startswith("必须是以下之一：") and "active" in said
