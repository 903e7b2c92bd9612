"""Registrations over the API (issue 17): the holder's own with the signed PDF of the
current certificate (read back), another holder's answering 404, and the register export
filtered by rison `q` as the list is."""
from __future__ import annotations

import csv
import io
import urllib.parse

import prison
from pypdf import PdfReader

from app.certificates.signing import check
from app.extensions import db
from app.models import AuditLog
from tests import logins
from tests.workflow_support import make_certificate_holder


def _bearer(app, username: str):
    client = app.test_client()
    return client, {"Authorization": f"Bearer {logins.api_token(client, username)}"}


def test_the_holder_downloads_the_signed_certificate_of_the_current_version(app, login):
    person, registration = make_certificate_holder(app, login, "api_holder")
    client, headers = _bearer(app, "api_holder")
    own = client.get("/api/v1/my_registration/", headers=headers).get_json()
    assert own["ids"] == [registration.id]
    shown = client.get(f"/api/v1/my_registration/{registration.id}", headers=headers).get_json()
    assert shown["result"]["number"] == registration.number
    assert shown["result"]["certificate"]["version"] == 1  # issued with the approval
    assert shown["result"]["specialties"][0]["expires_on"]

    pdf = client.get(f"/api/v1/my_registration/{registration.id}/certificate", headers=headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in pdf.headers["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert registration.number in text and person.real_name in text
    assert check(pdf.data).valid
    assert db.session.query(AuditLog).filter_by(action="certificate_download").count() == 1
    again = client.get(f"/api/v1/my_registration/{registration.id}", headers=headers).get_json()
    assert again["result"]["certificate"] == shown["result"]["certificate"]  # printed again

    someone_else, other_headers = _bearer(app, "prac_a")
    refused = someone_else.get(f"/api/v1/my_registration/{registration.id}/certificate",
                               headers=other_headers)
    assert refused.status_code == 404


def test_a_holder_without_images_is_told_why_no_certificate_is_printed(app):
    client, headers = _bearer(app, "prac_a")  # the fixture holder has no photo on file
    [own] = client.get("/api/v1/my_registration/", headers=headers).get_json()["ids"]
    answer = client.get(f"/api/v1/my_registration/{own}/certificate", headers=headers)
    assert answer.status_code == 409 and answer.get_json()["message"]


def test_the_register_export_takes_the_lists_filters(app, login):
    _, registration = make_certificate_holder(app, login, "api_export")
    client, headers = _bearer(app, "reviewer")
    everything = client.get("/api/v1/registration/export/csv", headers=headers)
    assert everything.status_code == 200 and everything.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(everything.data.decode("utf-8-sig"))))
    assert len(rows) == 1 + 3  # the header, the two fixture holders and the new one
    one = prison.dumps({"filters": [{"col": "number", "opr": "eq", "value": registration.number}]})
    filtered = client.get(f"/api/v1/registration/export/csv?q={urllib.parse.quote(one)}",
                          headers=headers)
    rows = list(csv.reader(io.StringIO(filtered.data.decode("utf-8-sig"))))
    assert len(rows) == 2 and registration.number in rows[1]
    workbook = client.get(f"/api/v1/registration/export/xlsx?q={urllib.parse.quote(one)}",
                          headers=headers)
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"
    enterprise, enterprise_headers = _bearer(app, "ent_a")
    assert enterprise.get("/api/v1/registration/export/csv",
                          headers=enterprise_headers).status_code == 403
