"""The whole journey through the API alone (issue 17), on SQLite and PostgreSQL: the README's
client example (examples/api_journey.py) run against a real threaded server, from sign-up
to a certificate the public verifies; then the certificate's PDF read back and verified by
the token of its QR code, as a phone would."""
from __future__ import annotations

import io
import json
import urllib.request

import sqlalchemy as sa
from pypdf import PdfReader

from examples import api_journey
from tests import image_samples
from tests.people import PASSWORD, totp_secret


def _account(username: str) -> str:
    return f"{username}:{PASSWORD}:{totp_secret(username)}"


def test_the_readme_client_takes_a_practitioner_from_sign_up_to_a_verified_certificate(
        live_server):
    result = api_journey.journey(
        live_server.url, _account("ent_a"), _account("reviewer"), _account("approver"),
        image_samples.photo(), image_samples.signature())
    assert result["state"] == "approved"
    assert [step["transition"] for step in result["timeline"]] == [
        "submit", "forward", "accept", "pass_review", "approve"]
    assert result["timeline"][3]["reason"] == "材料齐全，符合初始注册条件"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(result["pdf"])).pages)
    assert result["number"] in text and "接口测试" in text
    record = result["verified"]["record"]
    assert record["real_name"] == "接口测试" and "*" in record["masked_id_number"]

    from app.extensions import db
    from app.models import Certificate, Registration

    with live_server.app.app_context():
        token = db.session.scalar(sa.select(Certificate.token).join(Registration).where(
            Registration.number == result["number"]))
    with urllib.request.urlopen(f"{live_server.url}/api/v1/verify/certificate/{token}") as r:
        verdict = json.load(r)["verdict"]
    assert verdict["version"] == 1
