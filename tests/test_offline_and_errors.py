"""Nothing is loaded from the internet; errors show a plain page, never a stack trace; unsafe
production settings stop the start."""
import re

import pytest

from app import ConfigurationError, create_app
from app.certificates.signing import ensure_development_key, write_self_signed_pair
from app.views import MENU
from tests.people import ACCOUNTS

EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']\s*(?:https?:)?//(?!localhost[/:"'])""", re.I)
# Script loaders that fetch code at run time (FAB's google_charts.js is such a loader).
JS_REMOTE_LOADER = re.compile(r"gstatic\.(?:com|cn)/charts|googleapis\.com|cdn\.jsdelivr|unpkg\.com")
CSS_EXTERNAL = re.compile(r"""(?:url\(|@import)\s*["']?\s*(?:https?:)?//""", re.I)
ASSET = re.compile(r"""(?:src|href)="(/static/[^"]+)\"""")


def _pages_of(client):
    """The home page, every page its menu links to, and every screen of ours."""
    index = client.get("/").get_data(as_text=True)
    menu_links = re.findall(r'href="(/(?!static/|lang/|logout)[^"#]+)"', index)
    urls = ["/", "/login/", "/users/userinfo/", *menu_links]
    urls += [f"/{view.__name__.lower()}/list/" for view, *_ in MENU]
    for url in dict.fromkeys(urls):
        response = client.get(url)
        if response.status_code == 200:
            yield url, response.get_data(as_text=True)


@pytest.mark.parametrize("username", sorted(ACCOUNTS))
def test_no_page_refers_to_another_host_and_every_asset_is_served(app, login, username):
    client = login(username)
    assets = set()
    pages = 0
    for url, html in _pages_of(client):
        pages += 1
        assert not EXTERNAL.search(html), (url, EXTERNAL.search(html).group(0))
        assets.update(ASSET.findall(html))
    assert pages >= 3 and assets
    for asset in sorted(assets):
        response = client.get(asset)
        assert response.status_code == 200, asset
        if asset.endswith(".css"):
            assert not CSS_EXTERNAL.search(response.get_data(as_text=True)), asset
        if asset.endswith(".js"):
            assert not JS_REMOTE_LOADER.search(response.get_data(as_text=True)), asset


def test_unknown_page_is_a_plain_chinese_404(client):
    response = client.get("/no/such/page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "您访问的页面或记录不存在" in html


def test_an_unexpected_error_shows_no_internals(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom-for-test")
    def boom():
        raise RuntimeError("secret detail: SELECT password FROM ab_user")

    response = app.test_client().get("/boom-for-test")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "系统暂时无法处理您的请求" in html
    assert "Traceback" not in html and "secret detail" not in html and "SELECT" not in html


@pytest.mark.parametrize("override, problem", [
    ({"SECRET_KEY": ""}, "SECRET_KEY"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"}, "DATABASE_URL"),
])
def test_production_refuses_unsafe_settings(override, problem, tmp_path):
    config = {"PRODUCTION": True, "SECRET_KEY": "x" * 40,
              "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://u@127.0.0.1/db",
              **_production_certificate_settings(tmp_path), **override}
    with pytest.raises(ConfigurationError, match=problem):
        create_app(config)


def _production_certificate_settings(folder) -> dict:
    key, cert = folder / "key.pem", folder / "cert.pem"
    write_self_signed_pair(key, cert, "广东省住房和城乡建设厅 证书签发")
    seal = folder / "seal.png"
    seal.write_bytes(b"\x89PNG seal")
    return {"CERTIFICATE_SIGNING_KEY": str(key), "CERTIFICATE_SIGNING_CERT": str(cert),
            "SEAL_IMAGE": str(seal), "PUBLIC_BASE_URL": "https://zscx.example.gov.cn"}


def test_production_settings_that_are_safe_start(backend_db, tmp_path):
    app = create_app({"PRODUCTION": True, "SECRET_KEY": "x" * 40,
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://u@127.0.0.1/db",
                      **_production_certificate_settings(tmp_path)})
    assert app.config["SESSION_COOKIE_HTTPONLY"]


@pytest.mark.parametrize("change, problem", [
    ({"CERTIFICATE_SIGNING_KEY": ""}, "CERTIFICATE_SIGNING_KEY"),
    ({"SEAL_IMAGE": ""}, "SEAL_IMAGE"),
    ({"PUBLIC_BASE_URL": "http://127.0.0.1:5000"}, "PUBLIC_BASE_URL"),
    ("development key", "development one"),
])
def test_production_refuses_development_certificate_settings(tmp_path, change, problem):
    config = {"PRODUCTION": True, "SECRET_KEY": "x" * 40,
              "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://u@127.0.0.1/db",
              **_production_certificate_settings(tmp_path)}
    if change == "development key":
        key, cert = ensure_development_key(tmp_path / "dev")
        change = {"CERTIFICATE_SIGNING_KEY": str(key), "CERTIFICATE_SIGNING_CERT": str(cert)}
    with pytest.raises(ConfigurationError, match=problem):
        create_app({**config, **change})
