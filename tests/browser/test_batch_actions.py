"""Batch actions in the browser (issue 16, point 2), through the real server: the reviewer
ticks rows and runs 批量受理 (one row was handled by someone else meanwhile), the approver
runs 批量不予注册 on its reason page (one row refused by separation of duties) and
批量准予注册, and the enterprise downloads its practitioners' certificates as one zip, which
is read back here. The action menu, the reason page and the result page are kept at
1280 px and at 390 px."""
from __future__ import annotations

import io
import zipfile

import sqlalchemy as sa
from pypdf import PdfReader

from app.certificates.batch_print import NOTE_NAME
from app.enums import ApplicationState as S
from app.extensions import db
from app.models import Application, Decision, Registration
from tests.browser.conftest import DESKTOP, PHONE
from tests.people import PASSWORD
from tests.workflow_support import enterprise_of, make_applicant, put_application, with_real_images

from .batch import choose_action, open_menu, outcomes, tick


def _arrange(app, prefix: str, states) -> list[int]:
    ent = enterprise_of("ent_a", app)
    return [put_application(with_real_images(make_applicant(app, f"{prefix}{n}", ent)), ent, s)
            for n, s in enumerate(states)]


def _state(pk: int) -> S:
    db.session.expire_all()
    return db.session.get(Application, pk).state


def _at_both_widths(actor, step: str, before_shot=None) -> str:
    """A screenshot at 1280 px and at 390 px (the page checked each time)."""
    text = ""
    for size, suffix in ((DESKTOP, "1280"), (PHONE, "390")):
        actor.page.set_viewport_size(size)
        if before_shot:
            before_shot()
        text = actor.shot(f"{step}-{suffix}")
    actor.page.set_viewport_size(DESKTOP)
    return text


def test_batch_accept_refuse_approve_and_the_certificate_zip(live_server, actors):
    app = live_server.app
    accept = _arrange(app, "ba", [S.pending_acceptance] * 3)
    decide = _arrange(app, "bd", [S.pending_decision] * 4)
    approver_user = app.appbuilder.sm.find_user(username="approver")
    db.session.add(Decision(application_id=decide[1], transition="pass_review",
                            from_state=S.under_review, to_state=S.pending_decision,
                            actor_id=approver_user.id, actor_role="审查人员"))
    db.session.commit()

    # -- the reviewer ticks three rows; one is accepted elsewhere before the action runs
    reviewer = actors("reviewer").login("reviewer", PASSWORD)
    reviewer.open("/acceptancequeueview/list/")
    open_menu(reviewer)
    reviewer.page.click("a.batch_accept_menu_item")  # nothing ticked yet: told so, in Chinese
    assert reviewer.page.locator("#modal-alert .modal-text").inner_text() == "请先勾选至少一行。"
    reviewer.page.click("#modal-alert button")
    reviewer.page.locator("#modal-alert").wait_for(state="hidden")
    tick(reviewer, accept)
    menu = _at_both_widths(reviewer, "batch-menu", lambda: open_menu(reviewer))
    assert "批量受理" in menu and "批量准予注册" not in menu
    db.session.execute(sa.update(Application).where(Application.id == accept[2])
                       .values(state=S.under_review))  # another reviewer, meanwhile
    db.session.commit()
    choose_action(reviewer, "batch_accept")
    result = _at_both_widths(reviewer, "batch-accept-result")
    assert outcomes(reviewer) == {accept[0]: True, accept[1]: True, accept[2]: False}
    assert "已完成" in result and "该申请已被办理" in result
    assert [_state(pk) for pk in accept] == [S.under_review] * 3

    # -- the approver refuses two with one reason; one of them it reviewed itself
    approver = actors("approver").login("approver", PASSWORD)
    approver.open("/decisionqueueview/list/")
    tick(approver, decide[:2])
    open_menu(approver)  # a one-click approval asks first; 取消 leaves every row as it was
    approver.page.click("a.batch_approve_menu_item")
    approver.page.locator("#modal-confirm.in").wait_for(state="visible")
    approver.page.wait_for_timeout(400)  # the dialog's fade-in, for the screenshot
    confirm = approver.shot("batch-approve-confirm")
    assert "确定对已勾选的每件申请执行“批量准予注册”吗" in confirm
    approver.page.click("#modal-confirm button[data-dismiss=modal]")
    approver.page.locator("#modal-confirm").wait_for(state="hidden")
    assert _state(decide[0]) == S.pending_decision
    choose_action(approver, "batch_refuse")
    approver.type("#batch-reason", "业绩证明材料不符合注册条件")
    reason_page = _at_both_widths(approver, "batch-refuse-reason")
    assert "批量不予注册" in reason_page and "已勾选以下2件申请" in reason_page
    with approver.page.expect_navigation():
        approver.page.click("form.batch-form button[type=submit]")
    refused = _at_both_widths(approver, "batch-refuse-result")
    assert outcomes(approver) == {decide[0]: True, decide[1]: False}
    assert "审查与决定相分离" in refused
    assert _state(decide[0]) == S.refused and _state(decide[1]) == S.pending_decision

    # -- and approves the other two
    approver.open("/decisionqueueview/list/")
    tick(approver, decide[2:])
    choose_action(approver, "batch_approve")
    approver.shot("batch-approve-result")
    assert outcomes(approver) == {decide[2]: True, decide[3]: True}
    assert [_state(pk) for pk in decide[2:]] == [S.approved] * 2

    # -- the enterprise downloads the new registrations' certificates, and an expired one
    db.session.expire_all()
    new = [db.session.get(Application, pk).registration_id for pk in decide[2:]]
    expired = db.session.scalar(sa.select(Registration).where(Registration.number.like("%TESTa")))
    clerk = actors("enterprise").login("ent_a", PASSWORD)
    clerk.open("/enterpriseregistrationview/list/")
    tick(clerk, [*new, expired.id])
    clerk.shot("batch-print-ticked")
    open_menu(clerk)
    with clerk.page.expect_download() as download_info:
        clerk.page.click("a.batch_print_menu_item")
    download = download_info.value
    assert download.suggested_filename.startswith("电子证书")
    assert download.suggested_filename.endswith("（2份）.zip")
    archive = zipfile.ZipFile(download.path())
    pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
    numbers = {db.session.get(Registration, pk).number for pk in new}
    assert len(pdfs) == 2 and all(any(number in name for name in pdfs) for number in numbers)
    for name in pdfs:
        text = PdfReader(io.BytesIO(archive.read(name))).pages[0].extract_text()
        assert name.split(" ", 1)[0] in text  # the holder's name, in the file name and on it
    assert expired.number in archive.read(NOTE_NAME).decode("utf-8")


def test_back_to_the_list_keeps_its_search(live_server, actors):
    """A reviewer who searched the queue (here: one enterprise, sorted) and runs a batch comes
    back, by 取消 on the reason page or by 返回列表 on the result page, to the same search."""
    app = live_server.app
    ent_a, ent_b = enterprise_of("ent_a", app), enterprise_of("ent_b", app)
    in_a = [put_application(make_applicant(app, f"bk{n}", ent_a), ent_a, S.pending_acceptance)
            for n in range(2)]
    put_application(make_applicant(app, "bk_other", ent_b), ent_b, S.pending_acceptance)
    search = (f"?_flt_0_enterprise={ent_a.id}"
              "&_oc_AcceptanceQueueView=id&_od_AcceptanceQueueView=desc")
    reviewer = actors("reviewer-back").login("reviewer", PASSWORD)
    reviewer.open("/acceptancequeueview/list/" + search)
    tick(reviewer, in_a[:1])
    choose_action(reviewer, "batch_review_return")  # a reason page first
    with reviewer.page.expect_navigation():
        reviewer.page.click("form.batch-form a.btn-default")  # 取消
    assert reviewer.page.url.endswith("/acceptancequeueview/list/" + search)
    tick(reviewer, in_a[:1])
    choose_action(reviewer, "batch_accept")
    assert outcomes(reviewer) == {in_a[0]: True}
    with reviewer.page.expect_navigation():
        reviewer.page.click("a:has-text('返回列表')")
    assert reviewer.page.url.endswith("/acceptancequeueview/list/" + search)
    text = reviewer.shot("back-to-the-searched-list")
    assert "记录数目: 1" in " ".join(text.split())  # ent_a's other row, not ent_b's


def test_a_large_batch_of_certificates_is_printed_by_the_queue_worker(live_server, actors,
                                                                      redis_url, tmp_path):
    """With the queue, more than five ticked certificates are printed by a real `flask queue
    worker`: the page waits for it (reloading itself), then offers the zip, which the
    browser downloads and which is read back here."""
    import datetime as dt
    from pathlib import Path

    from app.operations.queue import _connection
    from tests.deployment.hosts import Deployment, deployment_env
    from tests.workflow_support import put_registration

    app = live_server.app
    app.config.update(REDIS_URL=redis_url)
    ent = enterprise_of("ent_a", app)
    registrations = [put_registration(with_real_images(make_applicant(app, f"qb{n}", ent)), ent,
                                      [dt.date(2029, 6, 30)]) for n in range(6)]
    numbers = {r.number for r in registrations}
    deployment = Deployment(deployment_env(
        app.config["SQLALCHEMY_DATABASE_URI"], redis_url, Path(app.config["INSTANCE_DIR"]),
        PUBLIC_BASE_URL=live_server.url), tmp_path)
    try:
        clerk = actors("enterprise").login("ent_a", PASSWORD)
        clerk.open("/enterpriseregistrationview/list/?psize_EnterpriseRegistrationView=100")
        tick(clerk, [r.id for r in registrations])
        open_menu(clerk)
        # The menu item is a link to "#" whose script posts the form: that first, same-page
        # navigation is not the one to wait for.
        clerk.page.click("a.batch_print_menu_item")
        clerk.page.wait_for_url("**/enterpriseregistrationview/batch_print/**", timeout=60_000)
        waiting = _at_both_widths(clerk, "batch-print-waiting")
        assert "正在排队，等待后台处理…" in waiting
        deployment.start_worker()
        clerk.page.wait_for_selector("a.batch-download", timeout=90_000)
        result = _at_both_widths(clerk, "batch-print-queued-result")
        assert "已打印：6 份；未打印：0 份。" in result
        with clerk.page.expect_download() as download_info:
            clerk.page.click("a.batch-download")
        download = download_info.value
        assert download.suggested_filename.endswith("（6份）.zip"), download.suggested_filename
        archive = zipfile.ZipFile(download.path())
        texts = "".join(PdfReader(io.BytesIO(archive.read(n))).pages[0].extract_text()
                        for n in archive.namelist())
        assert len(archive.namelist()) == 6 and all(number in texts for number in numbers)
    finally:
        deployment.stop_all()
        _connection.cache_clear()
