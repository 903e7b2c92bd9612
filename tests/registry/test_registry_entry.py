"""入库登记: real-name sign-up, photo and signature uploads through the real form, files served
only to those allowed, declared certificates matched against the roster or queued with a scan,
and enterprise registration verified by the authority."""
import datetime as dt
import io

import pytest
import sqlalchemy as sa
from PIL import Image

from app.dates import province_today
from app.enums import ApplicationState, RegistryStatus, VerificationStatus
from app.extensions import db
from app.models import (
    Enterprise,
    EnterpriseUser,
    Practitioner,
    QualificationCertificate,
    StoredFile,
)
from tests import image_samples as samples
from tests import logins
from tests.people import ID_A, PASSWORD
from tests.workflow_support import act, enterprise_of, make_applicant, put_application


def _count(model):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _me(id_number=ID_A) -> Practitioner:
    db.session.expire_all()
    return db.session.scalar(sa.select(Practitioner).filter_by(id_number=id_number))


def _upload(client, kind, content, filename):
    return client.post(f"/registry/upload/{kind}", follow_redirects=True,
                       content_type="multipart/form-data",
                       data={"file": (io.BytesIO(content), filename)})


def test_photo_and_signature_are_uploaded_reencoded_and_previewed(app, login):
    client = login("prac_a")
    page = _upload(client, "photo", samples.photo(827, 1158, with_gps_comment=True), "me.jpg")
    assert "已上传" in page.get_data(as_text=True)
    _upload(client, "signature", samples.signature(), "sign.png")
    me = _me()
    photo = client.get(f"/registry/file/{me.photo_id}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(photo.data)).width == 360 and b"secret-location" not in photo.data
    html = client.get("/registry/").get_data(as_text=True)
    assert f"/registry/file/{me.photo_id}" in html and f"/registry/file/{me.signature_id}" in html


def test_files_are_served_to_the_owner_the_authority_and_the_enterprise_applied_to(app, login):
    _upload(login("prac_a"), "photo", samples.photo(), "me.jpg")
    photo_id = _me().photo_id
    assert login("prac_b").get(f"/registry/file/{photo_id}").status_code == 404
    assert login("ent_b").get(f"/registry/file/{photo_id}").status_code == 404
    assert login("reviewer").get(f"/registry/file/{photo_id}").status_code == 200
    # An application addressed to an enterprise lets its staff see whom they verify.
    put_application(_me(), enterprise_of("ent_b", app), ApplicationState.pending_enterprise)
    assert login("ent_b").get(f"/registry/file/{photo_id}").status_code == 200


BAD_FILES = [
    ("pdf renamed .jpg", samples.PDF, "me.jpg", "不是JPEG、PNG或HEIC"),
    ("truncated jpeg", samples.photo()[:4000], "me.jpg", "损坏或不完整"),
    ("20000x20000 png", samples.huge_canvas_png(), "me.png", "像素"),
    ("empty file", b"", "me.jpg", "文件为空"),
    ("svg with script", samples.SVG_WITH_SCRIPT, "me.svg", "不是JPEG、PNG或HEIC"),
    ("past the size limit", b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024 + 100), "me.jpg", "大于10"),
    ("gif", samples.gif(), "me.gif", "GIF"),
]


@pytest.mark.parametrize("name, content, filename, message", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_are_refused_with_the_rule_and_nothing_is_stored(app, login, name, content,
                                                                   filename, message):
    before = _count(StoredFile)
    page = _upload(login("prac_a"), "photo", content, filename).get_data(as_text=True)
    assert message in page and "未被接受" in page
    assert _count(StoredFile) == before and _me().photo_id is None


PHONE_PHOTOS = [("phone jpeg (MPO)", samples.phone_jpeg(827, 1158), "IMG_20261202.jpg"),
                ("iphone heic", samples.heic(827, 1158), "IMG_0001.HEIC")]


@pytest.mark.parametrize("name, content, filename", PHONE_PHOTOS, ids=[p[0] for p in PHONE_PHOTOS])
def test_a_phone_photo_is_stored_as_a_jpeg_of_its_first_picture(app, login, name, content,
                                                                 filename):
    client = login("prac_a")
    page = _upload(client, "photo", content, filename).get_data(as_text=True)
    assert "已上传" in page
    served = client.get(f"/registry/file/{_me().photo_id}")
    stored = Image.open(io.BytesIO(served.data))
    assert served.mimetype == "image/jpeg" and stored.format == "JPEG"
    assert stored.size == (360, 504) and stored.getpixel((5, 5))[2] > 200  # light blue, 5:7


# The whole refusal: the help text on the page also speaks of 竖版, 背景 and 像素.
PHONE_REFUSALS = [
    ("small phone jpeg", samples.phone_jpeg(200, 280), "未被接受：图片为200×280像素，至少需要295×413"),
    ("landscape heic", samples.heic(579, 413), "未被接受：证件照须为竖版"),
    ("dark heic", samples.heic(background=(30, 30, 30)), "未被接受：证件照背景须为浅色"),
    ("heic claiming 20000x20000", samples.huge_canvas_heic(), "未被接受：图片像素过大"),
]


@pytest.mark.parametrize("name, content, message", PHONE_REFUSALS, ids=[p[0] for p in PHONE_REFUSALS])
def test_a_phone_photo_breaking_a_rule_is_refused_naming_it(app, login, name, content, message):
    before = _count(StoredFile)
    page = _upload(login("prac_a"), "photo", content, "IMG_0002.HEIC").get_data(as_text=True)
    assert message in page
    assert _count(StoredFile) == before and _me().photo_id is None


def test_the_file_pickers_offer_heic(app, login):
    client = login("prac_a")
    entry = client.get("/registry/").get_data(as_text=True)
    declare = client.get("/myqualificationcertificateview/add").get_data(as_text=True)
    assert entry.count('accept="image/jpeg,image/png,image/heic,image/heif,.heic,.heif"') == 2
    assert 'accept="image/jpeg,image/png,image/heic,image/heif,.heic,.heif,application/pdf"' in declare


def test_entry_needs_photo_signature_and_a_certificate_then_locks_the_images(app, login):
    client = login("prac_a")
    page = client.post("/registry/submit", follow_redirects=True).get_data(as_text=True)
    assert "证件照片" in page and _me().registry_status == RegistryStatus.none
    _upload(client, "photo", samples.photo(), "me.jpg")
    _upload(client, "signature", samples.signature(), "s.png")
    cert = db.session.scalar(sa.select(QualificationCertificate).filter_by(id_number=ID_A))
    cert.verification = VerificationStatus.verified
    db.session.commit()
    client.post("/registry/submit")
    assert _me().registry_status == RegistryStatus.entered
    photo_id = _me().photo_id
    page = _upload(client, "photo", samples.photo(), "new.jpg").get_data(as_text=True)
    assert "信息更正" in page and _me().photo_id == photo_id


def _declare(client, number, scan=None, specialty=True):
    from tests.workflow_support import qualification

    q = qualification()
    data = {"qualification": str(q.id), "certificate_number": number, "issue_date": "2024-06-01"}
    if specialty:
        data["specialty"] = str(q.specialties[0].id)
    if scan is not None:
        data["scan"] = (io.BytesIO(scan), "scan.jpg")
    return client.post("/myqualificationcertificateview/add", data=data, follow_redirects=True,
                       content_type="multipart/form-data")


def test_a_certificate_matching_the_roster_is_verified_at_once(app, login):
    me = _me()
    db.session.add(QualificationCertificate(
        real_name=me.real_name, id_number=me.id_number, qualification_id=1, specialty_id=1,
        certificate_number="ROSTER-001", issue_date=dt.date(2020, 6, 1), source="roster",
        verification=VerificationStatus.verified))
    db.session.commit()
    before = _count(QualificationCertificate)
    page = _declare(login("prac_a"), "ROSTER-001").get_data(as_text=True)
    assert "资格库" in page
    row = db.session.scalar(sa.select(QualificationCertificate).filter_by(
        certificate_number="ROSTER-001"))
    db.session.refresh(row)
    assert row.practitioner_id == me.id and row.verification == VerificationStatus.verified
    assert _count(QualificationCertificate) == before  # linked, not duplicated


def test_someone_elses_roster_number_is_refused(app, login):
    db.session.add(QualificationCertificate(
        real_name="别人", id_number="440106198501011237", qualification_id=1,
        certificate_number="ROSTER-002", issue_date=dt.date(2020, 6, 1), source="roster",
        verification=VerificationStatus.verified))
    db.session.commit()
    page = _declare(login("prac_a"), "ROSTER-002").get_data(as_text=True)
    assert "其他人" in page or "他人" in page


def test_an_unknown_certificate_needs_a_scan_and_waits_for_the_reviewer(app, login):
    client = login("prac_a")
    before = _count(QualificationCertificate)
    page = _declare(client, "NEW-777").get_data(as_text=True)
    assert "扫描件" in page and _count(QualificationCertificate) == before
    _declare(client, "NEW-777", scan=samples.photo(1200, 900, fmt="JPEG"))
    row = db.session.scalar(sa.select(QualificationCertificate).filter_by(certificate_number="NEW-777"))
    assert row.verification == VerificationStatus.pending and row.scan_id is not None
    reviewer = login("reviewer")
    assert reviewer.get(f"/registry/file/{row.scan_id}").status_code == 200
    refused = reviewer.post(f"/qualificationcertificateadminview/edit/{row.id}", follow_redirects=True,
                            data={"verification": "rejected", "rejection_reason": ""})
    assert "理由" in refused.get_data(as_text=True)
    reviewer.post(f"/qualificationcertificateadminview/edit/{row.id}",
                  data={"verification": "rejected", "rejection_reason": "证书编号与扫描件不一致"})
    html = client.get("/myqualificationcertificateview/list/").get_data(as_text=True)
    assert "证书编号与扫描件不一致" in html


def test_a_certificate_photographed_on_an_iphone_is_stored_as_jpeg(app, login):
    _declare(login("prac_a"), "NEW-HEIC", scan=samples.heic(1200, 900))
    row = db.session.scalar(sa.select(QualificationCertificate).filter_by(certificate_number="NEW-HEIC"))
    stored = db.session.get(StoredFile, row.scan_id)
    assert stored.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(stored.data)).size == (1200, 900)


# ---------------------------------------------------------------- sign-up
def _signup(client, **fields):
    data = {"real_name": "李璟", "id_number": "440106200002290024", "phone": "13912345678",
            "password": "Regist3r-ok", "confirm": "Regist3r-ok", **fields}
    return client.post("/signup/", data=data, follow_redirects=True)


def test_real_name_sign_up_then_login_with_the_id_number(app, client):
    page = _signup(client).get_data(as_text=True)
    assert "身份证号码登录" in page
    person = _me("440106200002290024")
    assert person.user.username == "440106200002290024" and str(person.birth_date) == "2000-02-29"
    logins.logged_in_client(app, "440106200002290024", "Regist3r-ok")


def test_a_second_sign_up_with_the_same_id_is_refused_without_saying_why(app, client):
    _signup(client)
    users = _count(type(_me("440106200002290024").user))
    page = _signup(app.test_client(), real_name="冒名").get_data(as_text=True)
    assert "无法为该身份证号码创建账号" in page
    assert _count(type(_me("440106200002290024").user)) == users
    # The same words for an ID number whose registry record carries another name.
    page = _signup(app.test_client(), id_number=ID_A).get_data(as_text=True)
    assert "无法为该身份证号码创建账号" in page


@pytest.mark.parametrize("fields, message", [
    ({"id_number": "440106200002290025"}, "校验位"),
    ({"password": "short1", "confirm": "short1"}, "至少8"),
    ({"password": "alllowercase", "confirm": "alllowercase"}, "三类"),
    ({"password": "Password1", "confirm": "Password1"}, "常用"),
    ({"confirm": "Different-1"}, "不一致"),
    ({"phone": "12345"}, "11位"),
])
def test_sign_up_refuses_bad_input_naming_the_field(app, client, fields, message):
    page = _signup(client, **fields).get_data(as_text=True)
    assert message in page and _me("440106200002290024") is None


def test_enterprise_registration_works_after_the_authority_verifies_it(app, client, login):
    form = {"name": "广州新建工程有限公司", "credit_code": "91110000600037341L",
            "legal_representative": "张三", "city": "广州市", "address": "天河路1号",
            "aptitude_certificate_no": "D144000001", "aptitude_expiry": "2030-01-01",
            "admin_name": "王经办", "username": "newco_admin", "phone": "13800000001",
            "password": "Newco-2026x", "confirm": "Newco-2026x"}
    client.post("/signup/enterprise", data=form)
    enterprise = db.session.scalar(sa.select(Enterprise).filter_by(credit_code="91110000600037341L"))
    assert enterprise.status.name == "pending"
    attempt = logins.login(app.test_client(), "newco_admin", "Newco-2026x", expect=False)
    assert attempt.status_code != 302 or "/login" in attempt.headers.get("Location", "")
    reviewer = login("reviewer")
    reviewer.post(f"/enterpriseadminview/edit/{enterprise.id}", data={
        **{k: form[k] for k in ("name", "credit_code", "legal_representative", "city", "address",
                                "aptitude_certificate_no", "aptitude_expiry")},
        "status": "active"})
    logins.logged_in_client(app, "newco_admin", "Newco-2026x")


def test_an_enterprise_with_expired_aptitude_cannot_forward(app, login):
    enterprise = enterprise_of("ent_a", app)
    person = make_applicant(app, "late", enterprise)
    app_id = put_application(person, enterprise, ApplicationState.pending_enterprise)
    enterprise.aptitude_expiry = province_today() - dt.timedelta(days=1)
    db.session.commit()
    response = act(login("ent_a"), app_id, "forward",
                   confirm=["pledge", "contract_checked", "insurance_checked"])
    assert response.status_code == 422 and "资质" in response.json["message"]


def test_sign_up_pages_are_public_and_linked_from_home_and_login(client):
    assert client.get("/signup/").status_code == 200
    assert client.get("/signup/enterprise").status_code == 200
    for page in ("/", "/login/"):
        html = client.get(page).get_data(as_text=True)
        assert 'href="/signup/"' in html and 'href="/signup/enterprise"' in html, page
        assert "身份证号码" in html


def test_password_policy_accepts_strong_and_names_what_is_missing(app):
    from app.accounts.passwords import problems

    with app.test_request_context():
        assert problems(PASSWORD) == []
        assert len(problems("aaaa")) == 2


def test_the_enterprise_administrator_adds_and_disables_its_own_staff(app, login):
    admin = login("ent_a")
    admin.post("/enterprisestaffview/add", data={
        "username": "staff_a1", "full_name": "员工甲", "password": "Staff-2026a"})
    sm = app.appbuilder.sm
    staff = sm.find_user(username="staff_a1")
    assert staff is not None and staff.active
    link = db.session.scalar(sa.select(EnterpriseUser).filter_by(user_id=staff.id))
    assert link.enterprise_id == enterprise_of("ent_a", app).id and not link.is_admin
    logins.logged_in_client(app, "staff_a1", "Staff-2026a")
    admin.post("/enterprisestaffview/action_post", data={"action": "disable", "rowid": str(link.id)})
    db.session.expire_all()
    assert not sm.find_user(username="staff_a1").active
    # Another enterprise's administrator cannot reach this account at all.
    other = login("ent_b").post("/enterprisestaffview/action_post",
                                data={"action": "enable", "rowid": str(link.id)})
    assert other.status_code == 404
    db.session.expire_all()
    assert not sm.find_user(username="staff_a1").active
    # Staff who are not administrators cannot add accounts.
    db.session.expire_all()
    sm.find_user(username="staff_a1").active = True
    db.session.commit()
    staff_client = login_as(app, "staff_a1", "Staff-2026a")
    # The administrator chose the password, so the staff member first replaces it.
    staff_client.post("/resetmypassword/form", data={
        "password": "Staff-2026c", "conf_password": "Staff-2026c"})
    page = staff_client.post("/enterprisestaffview/add", follow_redirects=True, data={
        "username": "staff_a2", "full_name": "员工乙", "password": "Staff-2026b"})
    assert "企业管理员" in page.get_data(as_text=True) and sm.find_user(username="staff_a2") is None


def login_as(app, username, password):
    return logins.logged_in_client(app, username, password)
