"""The browser suite: Debian's Chromium, driven by Playwright, against the app served by a
real WSGI server (Werkzeug's, threaded, on a free port) on a real database: SQLite, and
PostgreSQL when reachable (always under CI=true). What the Flask test client skips is done
here as a browser does it: header encoding, redirects followed, JavaScript, date pickers,
uploads and downloads.

Every step looks at the page as a user would: the texts it shows, no error page, and no
English interface text outside a short list (proper names, "PDF", "QR"); and it leaves a
screenshot under instance/browser-screenshots/<backend>/, which scripts/test.sh prints."""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import logins

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("INSTANCE_DIR", ROOT / "instance")) / "browser-screenshots"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# As the machine's probe starts it: a sandboxed root cannot use Chromium's own sandbox, and
# this network is closed, so nothing in the background may try to reach the internet.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--lang=zh-CN"]
# Latin words a Chinese page may show: names of file formats and of the QR code.
ALLOWED_LATIN = {"PDF", "QR", "JPEG", "PNG", "HEIC", "MB", "CSV", "Excel"}
PHONE = {"width": 390, "height": 844}
_CLEARED: set[str] = set()
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def browser():
    """Playwright's sync API runs an asyncio loop in this thread while it lives: closed at
    the end of the module, so that later tests may run their own (pyHanko signs with
    asyncio.run, which refuses to start inside a running loop)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: scripts/test.sh installs Debian's "
                    "chromium package (or set CHROMIUM to the browser's path)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def english_words(text: str, ignore: set[str]) -> set[str]:
    """Latin words in the page's text that are interface text: not part of a code, number,
    address or e-mail, not in ALLOWED_LATIN, and not something the test itself typed."""
    found = set()
    for token in re.findall(r"[A-Za-z0-9_.@:/+-]+", text):
        if any(c.isdigit() for c in token) or "@" in token or "://" in token:
            continue
        found.update(re.findall(r"[A-Za-z]{2,}", token))
    return {w for w in found if w not in ALLOWED_LATIN and not any(w in typed for typed in ignore)}


@dataclass
class Actor:
    """One person's browser (its own context: cookies, viewport) during the journey."""

    name: str
    page: object
    base: str
    folder: Path
    typed: set[str]
    steps: list[str] = field(default_factory=list)

    def open(self, path: str):
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
        return self

    def next_file(self, step: str) -> Path:
        number = len(list(self.folder.glob("*.png"))) + 1
        return self.folder / f"{number:02d}-{self.name}-{step}.png"

    def shot(self, step: str):
        """Check the page as a user sees it, and keep a screenshot of it."""
        self.page.wait_for_load_state()
        self.page.screenshot(path=str(self.next_file(step)), full_page=True)
        self.steps.append(step)
        error = self.page.locator(".error-page")
        assert error.count() == 0, f"{step}: error page {error.get_attribute('data-status')} " \
                                   f"at {self.page.url}"
        text = self.page.inner_text("body")
        assert "[{" not in text and "__None" not in text, f"{step}: raw data on the page"
        english = english_words(text, self.typed)
        assert not english, f"{step}: English interface text {sorted(english)} at {self.page.url}"
        return text

    def see(self, *texts: str) -> str:
        self.page.wait_for_load_state()
        body = self.page.inner_text("body")
        for text in texts:
            assert text in body, f"{text!r} is not on {self.page.url}"
        return body

    def flash(self) -> str:
        self.page.wait_for_load_state()
        return " ".join(self.page.locator(".alert").all_inner_texts())

    def type(self, selector: str, value: str):
        self.typed.add(value)
        self.page.fill(selector, value)

    def login(self, username: str, password: str, *, code: str | None = None):
        """The login form, and the code step when asked (`code` as for tests/logins.py
        login(): by default the account's current code; "" stops at the code step)."""
        self.typed.update({username})
        self.open("/login/")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("[type=submit]")
        self.page.wait_for_load_state()
        if urlsplit(self.page.url).path == logins.CODE_STEP:
            if code == "":
                return self
            self.page.fill("#code", code or logins.current_code(logins.SERVED_APPS[self.base],
                                                                username))
            self.page.click("form.two-factor-code [type=submit]")
            self.page.wait_for_load_state()
        assert "/login" not in self.page.url, f"login of {username} failed: {self.flash()}"
        return self


@pytest.fixture
def actors(browser, live_server, backend, request):
    """actors(name, phone=False) -> an Actor with a fresh browser context."""
    folder = SCREENSHOTS / backend
    if backend not in _CLEARED:  # once per run: the suite's tests add to one folder
        _CLEARED.add(backend)
        if folder.exists():
            shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    contexts = []
    typed: set[str] = set()

    def make(name: str, phone: bool = False) -> Actor:
        context = browser.new_context(viewport=PHONE if phone else DESKTOP, locale="zh-CN",
                                      accept_downloads=True, is_mobile=phone, has_touch=phone)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return Actor(name, context.new_page(), live_server.url, folder, typed)

    yield make
    for context in contexts:
        context.close()
