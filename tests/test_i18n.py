"""Chinese by default for the whole UI (FAB's own screens included), English selectable, and
a catalogue that covers every string the code marks for translation."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "app/translations/zh/LC_MESSAGES/messages.po"


def test_login_page_is_chinese_by_default(client):
    html = client.get("/login/").get_data(as_text=True)
    assert "用户名" in html and "密码" in html and "登录" in html


def test_menus_and_column_labels_are_chinese(login):
    client = login("reviewer")
    index = client.get("/").get_data(as_text=True)
    assert "注册管理" in index and "执业人员" in index
    listing = client.get("/practitionerviewadmin/list/".replace("viewadmin", "adminview"))
    html = listing.get_data(as_text=True)
    assert "身份证号码" in html and "入库状态" in html and "已入库" not in html.split("<tbody")[0]


def test_enum_values_are_shown_in_the_users_language(login):
    client = login("prac_a")
    html = client.get("/myapplicationview/list/").get_data(as_text=True)
    assert "草稿" in html and "初始注册" in html
    client.get("/lang/en")
    html = client.get("/myapplicationview/list/").get_data(as_text=True)
    assert "Draft" in html and "Initial registration" in html and "草稿" not in html


def test_english_is_selectable(login):
    client = login("prac_a")
    assert client.get("/lang/en").status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "My applications" in html and "我的申请" not in html
    client.get("/lang/zh_CN")
    assert "我的申请" in client.get("/").get_data(as_text=True)


def test_catalogue_is_complete_and_current(tmp_path):
    """Every string marked in the code is in the catalogue, translated, and not fuzzy."""
    pot = tmp_path / "current.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "N_", "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True)
    with open(pot, "rb") as f:
        marked = {m.id for m in read_po(f) if m.id}
    with open(PO, "rb") as f:
        catalogue = read_po(f, locale="zh_CN")
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    assert marked - translated == set()
