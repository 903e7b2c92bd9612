"""Swagger UI in a real browser (issue 17): served from FAB's own files under the
Content-Security-Policy with its nonce, it loads the document and shows every operation, at
1280 px and at 390 px, with no script refused and nothing asked of another site. Swagger UI
itself speaks English (it is not translated): the page is checked for errors and layout here,
not for English words as the app's own screens are."""
from __future__ import annotations

from urllib.parse import urlsplit

from tests.browser.conftest import DESKTOP, PHONE
from tests.people import PASSWORD


def test_swagger_ui_shows_every_operation_of_the_document(live_server, actors):
    reviewer = actors("reviewer-api").login("reviewer", PASSWORD)
    page = reviewer.page
    problems, elsewhere = [], []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: urlsplit(r.url).netloc != urlsplit(live_server.url).netloc
            and elsewhere.append(r.url))
    document = page.request.get(live_server.url + "/api/v1/_openapi").json()
    operations = sum(len(ops) for ops in document["paths"].values())
    for size, suffix in ((DESKTOP, "1280"), (PHONE, "390")):
        page.set_viewport_size(size)
        reviewer.open("/swagger/v1")
        page.wait_for_selector(".opblock")
        assert page.locator(".opblock").count() == operations
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
        page.screenshot(path=str(reviewer.next_file(f"swagger-{suffix}")), full_page=True)
    approve = page.locator(".opblock-post", has_text="/api/v1/application/{pk}/approve")
    approve.locator(".opblock-summary").click()
    page.wait_for_selector(".opblock-body")
    assert "准予注册" in approve.inner_text()
    assert problems == [] and elsewhere == []
