"""The audit log's new column (issue 18) in the browser: the auditor opens the row a sign-in
wrote and finds its request id (请求编号), the same the server answered in X-Request-Id, at
1280 and 390 px, with the page no wider than the screen."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditLog
from tests.people import PASSWORD


def test_the_auditor_sees_the_request_id_of_an_audit_row(live_server, actors):
    for phone in (False, True):
        auditor = actors("auditor", phone=phone)
        answers: list = []
        auditor.page.on("response", lambda r, seen=answers: seen.append(r.headers.get("x-request-id")))
        auditor.login("auditor", PASSWORD)
        db.session.expire_all()
        row = db.session.scalar(sa.select(AuditLog).where(AuditLog.actor_name == "auditor",
                                                          AuditLog.request_id.is_not(None))
                                .order_by(AuditLog.id.desc()).limit(1))
        assert row is not None and row.request_id in answers  # the id the browser was answered
        auditor.typed.update([row.request_id, "auditor"])
        auditor.open(f"/auditlogview/show/{row.id}")
        text = auditor.shot("audit-row-phone" if phone else "audit-row")
        assert "请求编号" in text and row.request_id in text, text[:600]
        assert "验证方式：动态口令" in text  # the two-factor step's detail, in words
        width = auditor.page.evaluate("document.documentElement.scrollWidth")
        assert width <= auditor.page.viewport_size["width"] + 1, f"sideways: {width}"
        right = auditor.page.locator(f"td:has-text('{row.request_id}')").evaluate(
            "cell => cell.closest('table').getBoundingClientRect().right")
        assert right <= auditor.page.viewport_size["width"], f"the id runs out of sight: {right}"
