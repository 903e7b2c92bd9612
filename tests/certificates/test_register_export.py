"""Export of the registration register to CSV and Excel: what is in it, read back from each
format; formula injection neutralised; the list's search filters honoured; and only the
authority's reviewer and approver may export."""
import csv
import datetime as dt
import io
import random
import threading

import openpyxl
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_babel import gettext

from app.certificates.register_export import neutralised
from app.demo import make_credit_code
from app.enums import EnterpriseStatus, RegistrationStatus
from app.extensions import db
from app.models import Enterprise, Registration
from tests import logins
from tests.workflow_support import enterprise_of, make_applicant, put_registration, qualification

CSV_URL = "/registrationadminview/export/csv"
XLSX_URL = "/registrationadminview/export/xlsx"
LIST_URL = "/registrationadminview/list/"
HOSTILE_NAME = '=HYPERLINK("http://x","y")'
HOSTILE_ENTERPRISE = "+1+1"
HOSTILE_PHONE_LIKE = "@SUM(A1)"


@pytest.fixture
def hostile(app):
    """A registration whose holder's name and employer were typed by an attacker, with two
    specialties, next to the cast's two registrations."""
    enterprise = Enterprise(
        name=HOSTILE_ENTERPRISE, credit_code=make_credit_code(random.Random(7), "440106"),
        legal_representative=HOSTILE_PHONE_LIKE, city="广州市", address="广州市测试路2号",
        status=EnterpriseStatus.active)
    db.session.add(enterprise)
    db.session.commit()
    person = make_applicant(app, "hostile", enterprise)
    person.real_name = HOSTILE_NAME
    db.session.commit()
    return put_registration(person, enterprise, [dt.date(2028, 5, 1), dt.date(2027, 1, 2)])


def _csv_rows(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Chinese Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _xlsx_rows(response) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    return [[cell for cell in row] for row in sheet.iter_rows()]


def _expected_header() -> list[str]:
    return [gettext(m) for m in (
        "Registration number", "Real name", "ID number", "Qualification",
        "Specialties and expiry dates", "Employer", "Unified social credit code",
        "Registration status", "First registered on")]


def _expected_specialties() -> str:
    return gettext("; ").join([
        gettext("%(specialty)s until %(date)s", specialty="建筑工程", date="2028-05-01"),
        gettext("%(specialty)s until %(date)s", specialty="公路工程", date="2027-01-02")])


def test_csv_holds_the_register_with_formulas_neutralised(app, login, hostile):
    response = login("reviewer").get(CSV_URL)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    header, *rows = _csv_rows(response)
    assert header == _expected_header()
    assert header[:4] == ["注册编号", "姓名", "身份证号码", "执业资格"]
    assert header[6] == "统一社会信用代码" and header[8] == "初始注册日期"
    by_number = {row[0]: row for row in rows}
    assert set(by_number) == {"粤24420192020TESTa", "粤24420192020TESTb", hostile.number}
    assert by_number["粤24420192020TESTa"] == [
        "粤24420192020TESTa", "测试甲", "110105198001010016", "二级注册建造师",
        gettext("%(specialty)s until %(date)s", specialty="建筑工程", date="2026-03-01"),
        "测试建设工程有限公司甲", "91350100M000100Y43", "有效", "2020-03-01"]
    row = by_number[hostile.number]
    assert row[1] == "'" + HOSTILE_NAME
    assert row[5] == "'" + HOSTILE_ENTERPRISE
    assert row[4] == _expected_specialties()
    assert row[6] == hostile.enterprise.credit_code


def test_excel_holds_the_same_with_formulas_as_plain_text(app, login, hostile):
    response = login("reviewer").get(XLSX_URL)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    header, *rows = _xlsx_rows(response)
    assert [c.value for c in header] == _expected_header()
    by_number = {row[0].value: row for row in rows}
    assert set(by_number) == {"粤24420192020TESTa", "粤24420192020TESTb", hostile.number}
    cells = by_number[hostile.number]
    name, enterprise = cells[1], cells[5]
    assert name.value == HOSTILE_NAME and name.data_type == "s"  # not "f": no formula
    assert enterprise.value == HOSTILE_ENTERPRISE and enterprise.data_type == "s"
    assert name.quotePrefix and enterprise.quotePrefix
    assert cells[4].value == _expected_specialties()
    assert cells[2].value == hostile.practitioner.id_number  # text: all 18 digits kept
    assert cells[7].value == "有效"
    assert cells[8].value.date() == dt.date(2020, 3, 1)  # a real date cell
    assert cells[8].number_format == "yyyy-mm-dd"


@pytest.mark.parametrize("text", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"])
def test_every_formula_start_is_neutralised_in_csv(text):
    assert neutralised(text) == "'" + text


@pytest.mark.parametrize("text", ["张三", "1+1", "a=b", "", "'quoted"])
def test_ordinary_text_is_left_alone(text):
    assert neutralised(text) == text


def test_the_list_filters_are_honoured(app, login, hostile):
    client = login("reviewer")
    architect = make_applicant(app, "architect", enterprise_of("ent_b", app), code="architect")
    other = put_registration(architect, enterprise_of("ent_b", app), [dt.date(2029, 1, 1)],
                             code="architect")
    db.session.get(Registration, hostile.id).status = RegistrationStatus.cancelled
    db.session.commit()
    constructor = qualification().id

    def numbers(query: str) -> tuple[set, set]:
        in_csv = {row[0] for row in _csv_rows(client.get(CSV_URL + query))[1:]}
        in_xlsx = {row[0].value for row in _xlsx_rows(client.get(XLSX_URL + query))[1:]}
        return in_csv, in_xlsx

    everything = {"粤24420192020TESTa", "粤24420192020TESTb", hostile.number, other.number}
    assert numbers("") == (everything, everything)
    [architect_row] = [r for r in _csv_rows(client.get(CSV_URL)) if r[0] == other.number]
    assert architect_row[3] == "二级注册建筑师"
    assert architect_row[4] == gettext("until %(date)s", date="2029-01-01")  # no specialties
    valid_constructors = {"粤24420192020TESTa", "粤24420192020TESTb"}
    both = f"?_flt_0_status=valid&_flt_0_qualification={constructor}"
    assert numbers(both) == (valid_constructors, valid_constructors)
    assert numbers("?_flt_1_status=valid") == ({hostile.number}, {hostile.number})
    assert numbers("?_flt_2_number=TESTb") == ({"粤24420192020TESTb"},) * 2
    assert numbers("?_flt_0_status=lapsed") == (set(), set())
    # What the list page shows for the same arguments is what is exported.
    listing = client.get(LIST_URL + both).get_data(as_text=True)
    assert "粤24420192020TESTa" in listing and hostile.number not in listing


def test_the_list_page_offers_export_with_its_filters(app, login):
    html = login("reviewer").get(LIST_URL + "?_flt_0_status=valid").get_data(as_text=True)
    assert f'href="{CSV_URL}?_flt_0_status=valid"' in html
    assert f'href="{XLSX_URL}?_flt_0_status=valid"' in html
    plain = login("approver").get(LIST_URL).get_data(as_text=True)
    assert f'href="{CSV_URL}"' in plain and f'href="{XLSX_URL}"' in plain


@pytest.mark.parametrize("username", ["reviewer", "approver"])
def test_the_authority_may_export(app, login, username):
    client = login(username)
    assert client.get(CSV_URL).status_code == 200
    assert client.get(XLSX_URL).status_code == 200


@pytest.mark.parametrize("username", ["prac_a", "ent_a", "sysadmin", "auditor"])
def test_others_are_refused_and_get_no_data(app, login, username):
    client = login(username)
    for url in (CSV_URL, XLSX_URL):
        response = client.get(url)
        assert response.status_code == 403, (username, url)
        assert b"110105198001010016" not in response.get_data()
        assert "attachment" not in response.headers.get("Content-Disposition", "")


def test_anonymous_is_sent_to_the_login_page(app, client):
    for url in (CSV_URL, XLSX_URL):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_only_reviewer_and_approver_roles_hold_the_export_permission(app):
    sm = app.appbuilder.sm
    permission = sm.find_permission_view_menu("can_export", "RegistrationAdminView")
    holders = {role.name for role in db.session.scalars(
        sa.select(sm.role_model).where(sm.role_model.permissions.contains(permission)))}
    assert holders == {"审查人员", "审批人员", sm.auth_role_admin}


def test_the_buttons_follow_the_permission_not_the_role(app, login):
    sm = app.appbuilder.sm
    reviewer = sm.find_role("审查人员")
    sm.del_permission_role(reviewer, sm.find_permission_view_menu(
        "can_export", "RegistrationAdminView"))
    client = login("reviewer")
    html = client.get(LIST_URL).get_data(as_text=True)
    assert "粤24420192020TESTa" in html  # the list itself is still there
    assert CSV_URL not in html and XLSX_URL not in html
    assert client.get(CSV_URL).status_code == 403


def test_the_export_speaks_the_users_language(app, login):
    client = login("reviewer")
    client.get("/lang/en")
    header, *rows = _csv_rows(client.get(CSV_URL))
    assert header[:3] == ["Registration number", "Real name", "ID number"]
    row = {r[0]: r for r in rows}["粤24420192020TESTa"]
    assert row[4] == "建筑工程 until 2026-03-01" and row[7] == "Valid"
    sheet_header, *_ = _xlsx_rows(client.get(XLSX_URL))
    assert sheet_header[8].value == "First registered on"


def test_an_unknown_filter_value_exports_what_the_list_shows_no_rows(app, login):
    """An unknown status matches no registration (app/view_base.py: it used to be a 500):
    the list page is empty and the export, for the same arguments, has the header only."""
    client = login("reviewer")
    listing = client.get(LIST_URL + "?_flt_0_status=bogus")
    assert listing.status_code == 200
    assert "粤24420192020TEST" not in listing.get_data(as_text=True)
    response = client.get(CSV_URL + "?_flt_0_status=bogus")
    assert response.status_code == 200 and len(_csv_rows(response)) == 1


def _as_in_production(app, url: str) -> bytes:
    """GET url as the reviewer in a thread of its own, where no context of the test is
    active: as under gunicorn, the request's teardown then ends its database session before
    a streamed body is generated (the test clients keep it open and would hide that)."""
    body = {}

    def work():
        client = FlaskClient(app, app.response_class, use_cookies=True)
        logins.login(client, "reviewer")
        response = client.get(url)
        assert response.status_code == 200
        body["data"] = response.get_data()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return body["data"]


def test_the_streamed_csv_outlives_the_request_teardown(app):
    data = _as_in_production(app, CSV_URL + "?_flt_0_status=valid")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert {row[0] for row in rows[1:]} == {"粤24420192020TESTa", "粤24420192020TESTb"}
    sheet = openpyxl.load_workbook(io.BytesIO(_as_in_production(app, XLSX_URL))).active
    assert sheet.max_row == 3
