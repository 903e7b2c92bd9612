"""Long work in the queue (real Redis, a real RQ worker forking each job): a large roster is
checked and imported by the worker while its page shows the progress, and a batch of
certificates is printed by the worker into a zip the page offers; each job's pages answer
only the user who started it."""
from __future__ import annotations

import io
import re
import zipfile

import sqlalchemy as sa
from pypdf import PdfReader

from app.extensions import db
from app.models import AuditLog, QualificationCertificate, StoredFile
from app.operations.worker import work
from tests.registry.test_roster_import import ROWS, count_in, csv_bytes, file_id_in, upload
from tests.workflow_support import make_certificate_holder


def _location(response) -> str:
    assert response.status_code == 302, response.status_code
    return response.headers["Location"]


def _run_worker(app) -> None:
    db.session.remove()  # the worker's process writes: read afresh after it
    assert work(app, burst=True)


def test_a_large_roster_is_checked_and_imported_by_the_worker(queued_app, login):
    queued_app.config["ROSTER_QUEUE_BYTES"] = 100  # this small file counts as large
    client = login("reviewer")
    checking = _location(upload(client, csv_bytes(ROWS), "名单.csv"))
    assert "/roster/checking/" in checking
    waiting = client.get(checking).get_data(as_text=True)
    assert "正在排队" in waiting and 'http-equiv="refresh"' in waiting

    _run_worker(queued_app)
    preview = client.get(checking).get_data(as_text=True)
    assert (count_in(preview, "total"), count_in(preview, "new")) == (4, 4)
    assert "refresh" not in preview and "确认导入" in preview
    importing = _location(client.post("/roster/confirm", data={"file_id": file_id_in(preview)}))
    assert "/roster/importing/" in importing
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QualificationCertificate)
                             .where(QualificationCertificate.certificate_number.like("RT-%"))) == 0

    _run_worker(queued_app)
    assert _location(client.get(importing)).endswith("/qualificationcertificateadminview/list/")
    numbers = set(db.session.scalars(sa.select(QualificationCertificate.certificate_number)
                                     .where(QualificationCertificate.certificate_number.like("RT-%"))))
    assert numbers == {"RT-0001", "RT-0002", "RT-0003", "RT-0004"}
    audit = db.session.scalar(sa.select(AuditLog).filter_by(action="roster_import"))
    assert audit.actor_name == "reviewer" and audit.detail["imported"] == 4  # who confirmed


def test_a_large_file_that_cannot_be_read_says_why_after_the_check(queued_app, login):
    queued_app.config["ROSTER_QUEUE_BYTES"] = 10
    client = login("reviewer")
    files = db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile))
    checking = _location(upload(client, csv_bytes([]), "名单.csv"))  # a header, no rows
    _run_worker(queued_app)
    assert _location(client.get(checking)).endswith("/roster/upload")
    assert "文件只有表头，没有数据行。" in client.get("/roster/upload").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == files


def test_another_user_cannot_see_a_roster_job(queued_app, login):
    queued_app.config["ROSTER_QUEUE_BYTES"] = 100
    checking = _location(upload(login("reviewer"), csv_bytes(ROWS), "名单.csv"))
    other = login("admin")  # may upload rosters too: the job is still not theirs
    assert other.get(checking).status_code == 404
    assert other.get("/roster/checking/no-such-job").status_code == 404


def test_a_batch_is_printed_by_the_worker_into_a_zip_the_page_offers(queued_app, login):
    holders = [make_certificate_holder(queued_app, login, f"q{n}") for n in range(6)]
    client = login("ent_a")
    asked = client.post("/enterpriseregistrationview/action_post", data={
        "action": "batch_print", "rowid": [str(r.id) for _p, r in holders]})
    page = _location(asked)
    assert "/enterpriseregistrationview/batch_print/" in page
    assert "正在排队" in client.get(page).get_data(as_text=True)

    _run_worker(queued_app)
    result = client.get(page).get_data(as_text=True)
    assert "已打印：6 份；未打印：0 份。" in result
    download = re.search(r'href="([^"]+/zip)"', result).group(1)
    answer = client.get(download)
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    assert len(archive.namelist()) == 6 and all(n.endswith(".pdf") for n in archive.namelist())
    texts = "".join(p.extract_text() for n in archive.namelist()
                    for p in PdfReader(io.BytesIO(archive.read(n))).pages)
    assert all(r.number in texts for _p, r in holders)  # each holder's certificate, read back
    prints = db.session.scalars(sa.select(AuditLog).filter_by(action="certificate_download"))
    assert {(row.actor_name, row.request_id) for row in prints} == {
        ("ent_a", asked.headers["X-Request-Id"])}  # who asked, and the request that asked

    assert login("ent_b").get(page).status_code == 404
    assert login("ent_b").get(download).status_code == 404
