"""The roster upload page in the browser (issue 15, point 4): at 1280 and 390 px the file
chooser offers .xls and .ods next to .csv and .xlsx and the help text names them; an .ods
chosen in the page's own file input is checked and previewed through the real server."""
from __future__ import annotations

from app.registry.roster_import import COLUMNS
from tests.browser.test_journey import _staff, _upload
from tests.registry import workbook_samples as samples
from tests.registry.test_roster_import import HEADER, ROWS, csv_bytes

PASSWORD = "Journey-Passw0rd!"


def test_the_upload_page_offers_xls_and_ods_at_1280_and_390_px(live_server, actors):
    _staff(live_server.app, "r_reviewer", "审查员戊", "reviewer")
    for phone in (False, True):
        reviewer = actors("reviewer", phone=phone).login("r_reviewer", PASSWORD)
        # Latin text the page shows on purpose: the English column names, a qualification's
        # code, the encoding and the file name extensions.
        reviewer.typed.update([c.key for c in COLUMNS] + ["constructor", "GBK", ".csv", ".xlsx",
                                                          ".xls", ".ods"])
        reviewer.open("/roster/upload")
        accept = reviewer.page.get_attribute("#roster-file", "accept")
        assert accept.split(",") == [".csv", ".xlsx", ".xls", ".ods"], accept
        text = reviewer.shot("roster-upload-phone" if phone else "roster-upload")
        assert ".xlsx、.xls、.ods工作簿" in text, text[:600]
        width = reviewer.page.evaluate("document.documentElement.scrollWidth")
        assert width <= reviewer.page.viewport_size["width"] + 1, f"page scrolls sideways: {width}"

    reviewer.typed.update(str(cell) for row in ROWS for cell in row)  # the file's own text
    _upload(reviewer, "#roster-file", "名单.ods", samples.ods_bytes(ROWS, HEADER),
            "application/vnd.oasis.opendocument.spreadsheet")
    with reviewer.page.expect_navigation():
        reviewer.page.click("form[enctype] [type=submit]")
    text = reviewer.shot("roster-preview-ods-phone")
    assert "新增证书\t4\n" in text and "有错误的行\t0\n" in text and "RT-0004" in text, text[:800]


def test_a_large_roster_shows_its_progress_then_its_preview_and_result(live_server, actors,
                                                                        redis_url, tmp_path):
    """With the queue, a large file's pages at 390 and 1280 px: waiting for the worker (the
    page reloads itself), then, once a real `flask queue worker` runs, the preview and the
    import's result, without the user doing anything but waiting and confirming."""
    from app.operations.queue import _connection
    from tests.deployment.hosts import Deployment, deployment_env

    app = live_server.app
    app.config.update(REDIS_URL=redis_url, ROSTER_QUEUE_BYTES=100)
    _staff(app, "q_reviewer", "审查员己", "reviewer")
    deployment = Deployment(deployment_env(app.config["SQLALCHEMY_DATABASE_URI"], redis_url,
                                           tmp_path), tmp_path)
    try:
        for phone in (False, True):
            reviewer = actors("reviewer", phone=phone).login("q_reviewer", PASSWORD)
            reviewer.typed.update([*(str(cell) for row in ROWS for cell in row), "名单.csv"])
            reviewer.open("/roster/upload")
            _upload(reviewer, "#roster-file", "名单.csv", csv_bytes(ROWS), "text/csv")
            with reviewer.page.expect_navigation():
                reviewer.page.click("form[enctype] [type=submit]")
            assert "/roster/checking/" in reviewer.page.url
            text = reviewer.shot("roster-waiting-phone" if phone else "roster-waiting")
            assert "正在检查文件" in text and "正在排队，等待后台处理…" in text, text[:400]
            width = reviewer.page.evaluate("document.documentElement.scrollWidth")
            assert width <= reviewer.page.viewport_size["width"] + 1, f"sideways: {width}"
        deployment.start_worker()  # the page, still open, reloads itself into the preview
        reviewer.page.wait_for_selector("text=确认导入", timeout=60_000)
        text = reviewer.shot("roster-queued-preview-phone")
        assert "新增证书\t4\n" in text and "RT-0004" in text, text[:800]
        with reviewer.page.expect_navigation():
            reviewer.page.click("form[data-busy-notice] [type=submit]")
        reviewer.page.wait_for_url("**/qualificationcertificateadminview/list/**", timeout=60_000)
        reviewer.typed.update(["RT"])
        reviewer.shot("roster-queued-imported-phone")
        assert "4" in reviewer.flash(), reviewer.flash()
    finally:
        deployment.stop_all()
        _connection.cache_clear()
