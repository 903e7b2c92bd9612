"""The roster import over the API (issue 17): upload → preview with the per-row errors →
confirm with the ticket, through the page's own functions; a ticket is the uploader's
alone, and a file that no longer passes imports nothing."""
from __future__ import annotations

import io

import sqlalchemy as sa

from app.extensions import db
from app.models import QualificationCertificate
from tests import logins
from tests.registry.test_roster_import import ID_LI, ID_ZHANG, ROWS, csv_bytes, xlsx_bytes


def _bearer(app, username: str):
    client = app.test_client()
    return client, {"Authorization": f"Bearer {logins.api_token(client, username)}"}


def _upload(client, headers, data: bytes, name: str):
    return client.post("/api/v1/roster_import/upload", headers=headers,
                       data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count(QualificationCertificate.id)))


def test_a_workbook_is_previewed_then_imported_with_its_ticket(app):
    client, headers = _bearer(app, "reviewer")
    before = _count()
    preview = _upload(client, headers, xlsx_bytes(ROWS[:2]), "名册.xlsx")
    assert preview.status_code == 200, preview.get_json()
    body = preview.get_json()
    assert body["report"]["new"] == 2 and body["report"]["errors"] == [] and body["ticket"]
    assert _count() == before  # nothing imported before the confirmation
    # Another account that may import (the administrator) cannot confirm this upload.
    someone_else, other_headers = _bearer(app, "admin")
    assert someone_else.post("/api/v1/roster_import/confirm", headers=other_headers,
                             json={"ticket": body["ticket"]}).status_code == 422
    done = client.post("/api/v1/roster_import/confirm", headers=headers,
                       json={"ticket": body["ticket"]})
    assert done.status_code == 200 and done.get_json()["report"]["imported"] == 2
    assert _count() == before + 2
    again = client.post("/api/v1/roster_import/confirm", headers=headers,
                        json={"ticket": body["ticket"]})
    assert again.status_code == 422 and _count() == before + 2


def test_the_per_row_errors_come_back_and_no_ticket(app):
    client, headers = _bearer(app, "reviewer")
    bad = [["张三", ID_ZHANG, "二级注册建造师", "建筑工程", "RT-9001", "2021-13-01"],
           ["", ID_LI, "二级造价工程师", "安装工程", "RT-9002", "2021-06-01"]]
    answer = _upload(client, headers, csv_bytes(bad), "roster.csv")
    report = answer.get_json()["report"]
    assert answer.status_code == 200 and answer.get_json()["ticket"] is None
    assert {e["row"] for e in report["errors"]} == {2, 3} and report["invalid"] == 2
    assert all(e["message"] for e in report["errors"])
    wrong_kind = _upload(client, headers, b"%PDF-1.4", "roster.pdf")
    assert wrong_kind.status_code == 422 and wrong_kind.get_json()["message"]
    forged = client.post("/api/v1/roster_import/confirm", headers=headers,
                         json={"ticket": "not-a-ticket"})
    assert forged.status_code == 422
    practitioner, practitioner_headers = _bearer(app, "prac_a")
    assert _upload(practitioner, practitioner_headers, csv_bytes(bad),
                   "roster.csv").status_code == 403
