"""Bad identity numbers get a clear Chinese message naming the field, in the generated forms
and in the API, never a 500, and nothing is stored."""
import sqlalchemy as sa

from app.extensions import db
from app.models import Enterprise, Practitioner
from tests.people import ID_A


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _add_practitioner(client, id_number):
    return client.post("/practitioneradminview/add", data={
        "real_name": "王喆", "id_number": id_number, "phone": "13800001111",
        "email": "", "education": "本科"})


def test_form_refuses_a_wrong_check_character_and_keeps_the_input(app, login):
    client = login("reviewer")
    before = _count(Practitioner)
    response = _add_practitioner(client, "440106198501011230")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "身份证号码：身份证号码校验位错误" in html      # names the field, says why
    assert 'value="王喆"' in html                         # nothing typed is lost
    assert _count(Practitioner) == before


def test_form_refuses_an_impossible_birth_date(app, login):
    response = _add_practitioner(login("reviewer"), "440106198502301230")
    assert "出生日期不是有效日期" in response.get_data(as_text=True)


def test_form_refuses_a_duplicate_id_number(app, login):
    before = _count(Practitioner)
    response = _add_practitioner(login("reviewer"), ID_A.lower())
    assert response.status_code == 200
    assert _count(Practitioner) == before


def test_form_accepts_a_valid_id_with_lower_case_x_and_derives_birth_date(app, login):
    response = _add_practitioner(login("reviewer"), "11010519491231002x")
    assert response.status_code == 302
    person = db.session.scalar(sa.select(Practitioner).filter_by(id_number="11010519491231002X"))
    assert str(person.birth_date) == "1949-12-31" and person.sex.name == "female"


def test_enterprise_form_refuses_a_forbidden_letter_in_the_credit_code(app, login):
    before = _count(Enterprise)
    response = login("reviewer").post("/enterpriseadminview/add", data={
        "name": "某某建设有限公司", "credit_code": "91350100O000100Y43",
        "legal_representative": "张三", "city": "广州市", "address": "天河路1号",
        "aptitude_certificate_no": "", "aptitude_expiry": "", "status": "pending"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "统一社会信用代码：统一社会信用代码含有不允许的字符：O" in html
    assert _count(Enterprise) == before


def test_api_refuses_a_bad_id_number_with_the_field_named(app, login):
    client = login("reviewer")
    before = _count(Practitioner)
    response = client.post("/api/v1/practitioner/", json={
        "real_name": "王喆", "id_number": "440106198501011230", "phone": "13800001111"})
    assert response.status_code == 422
    assert "校验位错误" in response.json["message"]["id_number"][0]
    response = client.post("/api/v1/practitioner/", json={
        "real_name": "王喆", "id_number": ID_A, "phone": "13800001111"})
    assert response.status_code == 422
    assert "已登记" in response.json["message"]["id_number"][0]
    assert _count(Practitioner) == before


def test_api_creates_a_practitioner_from_a_valid_id(app, login):
    response = login("reviewer").post("/api/v1/practitioner/", json={
        "real_name": "李璟", "id_number": "440106200002290024", "phone": "13800001111"})
    assert response.status_code == 201
    assert response.json["result"]["id_number"] == "440106200002290024"


def test_api_refuses_a_bad_credit_code(app, login):
    response = login("reviewer").post("/api/v1/enterprise/", json={
        "name": "某公司", "credit_code": "91350100M000100Y44", "legal_representative": "张三",
        "city": "广州市", "address": "某路"})
    assert response.status_code == 422
    assert "校验位错误" in response.json["message"]["credit_code"][0]


def test_api_is_refused_to_roles_without_the_grant(app, login):
    response = login("prac_a").get("/api/v1/practitioner/")
    assert response.status_code in (401, 403)


ENTERPRISE_FORM = {"name": "某某建设有限公司", "legal_representative": "张三", "city": "广州市",
                   "address": "天河路1号", "aptitude_certificate_no": "", "aptitude_expiry": "",
                   "status": "pending"}
LETTER_IN_AREA = "91440A06MA0000004Q"  # correct check character, a letter at position 6


def test_enterprise_form_refuses_letters_in_the_administrative_division_code(app, login):
    before = _count(Enterprise)
    response = login("reviewer").post("/enterpriseadminview/add", data={
        **ENTERPRISE_FORM, "credit_code": LETTER_IN_AREA})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "统一社会信用代码：统一社会信用代码第3至8位是登记管理机关的行政区划码，只能是数字" in html
    assert _count(Enterprise) == before


def test_enterprise_sign_up_refuses_letters_in_the_administrative_division_code(app, client):
    before = _count(Enterprise)
    response = client.post("/signup/enterprise", data={
        **ENTERPRISE_FORM, "credit_code": LETTER_IN_AREA, "admin_name": "王经办",
        "username": "letters_admin", "phone": "13800000001", "password": "Newco-2026x",
        "confirm": "Newco-2026x"})
    assert response.status_code == 200
    assert "第3至8位是登记管理机关的行政区划码，只能是数字" in response.get_data(as_text=True)
    assert _count(Enterprise) == before


def test_an_n_led_credit_code_is_accepted_by_the_form(app, login):
    response = login("reviewer").post("/enterpriseadminview/add", data={
        **ENTERPRISE_FORM, "credit_code": "n2440106ma0000001g"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Enterprise.name).filter_by(
        credit_code="N2440106MA0000001G")) == "某某建设有限公司"


def test_a_stored_code_with_letters_in_positions_3_to_8_still_shows(app, login):
    """Stored before the rule: the model's validator runs on assignment, not on loading, so
    the lists and pages show it; editing it asks for a corrected code."""
    db.session.execute(sa.insert(Enterprise).values(
        name="旧数据建设有限公司", credit_code=LETTER_IN_AREA, legal_representative="李四",
        city="广州市", address="旧路1号", status="active"))
    db.session.commit()
    enterprise_id = db.session.scalar(sa.select(Enterprise.id).filter_by(credit_code=LETTER_IN_AREA))
    client = login("reviewer")
    assert LETTER_IN_AREA in client.get("/enterpriseadminview/list/").get_data(as_text=True)
    assert client.get(f"/enterpriseadminview/show/{enterprise_id}").status_code == 200
    assert client.get(f"/api/v1/enterprise/{enterprise_id}").status_code == 200
    response = client.post(f"/enterpriseadminview/edit/{enterprise_id}", data={
        **ENTERPRISE_FORM, "name": "旧数据建设有限公司", "credit_code": LETTER_IN_AREA})
    assert response.status_code == 200
    assert "第3至8位" in response.get_data(as_text=True)
