"""The practitioner's journey from sign-up to a certificate verified by its own QR code, with
every party in its own browser, through the real server (issue 12).

Accounts are the journey's own: the practitioner and the enterprise sign up on the public
pages; the authority's reviewer and approver, and the superuser, are created as the first
administrator would create them. The practitioner works at a phone's 390 px, the others at
1280 px. The second forward and acceptance are batch actions from the queues, and the
enterprise prints its certificates as a batch (issue 16)."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pypdfium2
import sqlalchemy as sa
import zxingcpp
from pypdf import PdfReader

from app.certificates.public_record import mask_id_number
from app.dates import local_time, province_today
from app.enums import ApplicationState
from app.extensions import db
from app.identity import credit_code_check_char, resident_id_check_char
from app.models import (
    Application,
    Consultation,
    Enterprise,
    QualificationCertificate,
    Registration,
)
from app.security import ROLES
from tests import image_samples as samples
from tests import people

from .batch import choose_action, open_menu, outcomes, tick
from .typeahead import choose

PASSWORD = "Journey-Passw0rd!"
NAME = "林晓彤"
FIRST17 = "44010619900307002"
ID_NUMBER = FIRST17 + resident_id_check_char(FIRST17)
CREDIT17 = "91440101MA59J0U9X"
CREDIT_CODE = CREDIT17 + credit_code_check_char(CREDIT17)
ENTERPRISE = "广州旅程建筑工程有限公司"
CERTIFICATE_NUMBER = "JZ-2025-0088"


def _staff(app, username: str, name: str, role: str) -> None:
    """An authority account, as the first administrator adds it (FAB's user screen)."""
    sm = app.appbuilder.sm
    role_name = sm.auth_role_admin if role == "admin" else ROLES[role].name
    user = sm.add_user(username, name, "", f"{username}@gd.invalid", sm.find_role(role_name),
                       password=PASSWORD)
    assert user
    people.enrol_known(app, user)  # as if set up at its first login: its code is known


def _one(model, **where):
    db.session.expire_all()
    return db.session.scalar(sa.select(model).filter_by(**where))


def _upload(actor, selector: str, name: str, content: bytes, mime: str):
    actor.page.set_input_files(selector, files=[{"name": name, "mimeType": mime, "buffer": content}])


def _press(actor, transition: str):
    """A workflow button on the application page, and the page it leads to."""
    with actor.page.expect_navigation():
        actor.page.click(f"form[data-transition={transition}] button[type=submit]")


def test_a_practitioner_gets_a_certificate_verified_by_its_own_qr_code(live_server, actors):
    app = live_server.app
    for username, name, role in (("j_reviewer", "审查员甲", "reviewer"),
                                 ("j_approver", "审批员乙", "approver"),
                                 ("j_admin", "管理员丙", "admin")):
        _staff(app, username, name, role)
    public = actors("public")
    me = actors("practitioner", phone=True)
    clerk = actors("enterprise")
    reviewer = actors("reviewer").login("j_reviewer", PASSWORD)
    approver = actors("approver").login("j_approver", PASSWORD)
    admin = actors("admin").login("j_admin", PASSWORD)

    # -- the home page: the hints sit under the sign-in button, not pushed to the right
    public.open("/")
    public.shot("home")
    button = public.page.locator("a.btn-lg").bounding_box()
    for hint in public.page.locator(".signup-links p").all():
        assert abs(hint.bounding_box()["x"] - button["x"]) < 2, "hint not aligned with the button"

    # -- the enterprise registers; the reviewer verifies it, which enables its account
    clerk.open("/signup/enterprise")
    for field, value in (("name", ENTERPRISE), ("credit_code", CREDIT_CODE),
                         ("legal_representative", "王建国"), ("city", "广州市"),
                         ("address", "广州市天河区旅程路1号"), ("aptitude_certificate_no", "D144012345"),
                         ("admin_name", "陈经办"), ("username", "j_clerk"), ("phone", "13800138001"),
                         ("password", PASSWORD), ("confirm", PASSWORD)):
        clerk.type(f"#{field}", value)
    clerk.page.fill("#aptitude_expiry", "2030-12-31")
    clerk.shot("enterprise-signup")
    clerk.page.click("button[type=submit]")
    assert "注册管理部门审核" in clerk.flash()
    enterprise = _one(Enterprise, credit_code=CREDIT_CODE)
    reviewer.open(f"/enterpriseadminview/edit/{enterprise.id}")
    reviewer.page.select_option("#status", "active")
    reviewer.shot("enterprise-verify")
    reviewer.page.click("button[type=submit]")
    assert "记录已更新" in reviewer.flash()
    clerk.login("j_clerk", PASSWORD)
    clerk.shot("enterprise-home")

    # -- the practitioner signs up on the phone and logs in with the ID number
    me.open("/signup/")
    for field, value in (("real_name", NAME), ("id_number", ID_NUMBER), ("phone", "13912345678"),
                         ("password", PASSWORD), ("confirm", PASSWORD)):
        me.type(f"#{field}", value)
    me.shot("signup")
    me.page.click("button[type=submit]")
    assert "身份证号" in me.flash()
    me.login(ID_NUMBER, PASSWORD)
    me.shot("home")

    # -- 入库登记: personal data, photo and signature, with the preview
    me.open("/registry/")
    me.type("#education", "本科")
    me.page.click("form[action$='/registry/details'] button[type=submit]")
    assert "已保存" in me.flash()
    for kind, name, content, mime in (("photo", "photo.jpg", samples.photo(), "image/jpeg"),
                                      ("signature", "sign.png", samples.signature(), "image/png")):
        _upload(me, f"form[action$='/upload/{kind}'] input[type=file]", name, content, mime)
        me.page.click(f"form[action$='/upload/{kind}'] button[type=submit]")
        assert "已上传" in me.flash(), me.flash()
    assert me.page.locator("img[alt='证件照片']").count() == 1
    me.shot("registry-entry")

    # -- a certificate that is not on the roster, with a PDF scan; the specialty list
    #    follows the qualification and the date picker speaks Chinese
    me.open("/myqualificationcertificateview/add")
    qualifications = dict(me.page.eval_on_selector_all(
        "#qualification option", "os => os.map(o => [o.textContent.trim(), o.value])"))
    me.page.select_option("#qualification", qualifications["二级注册建筑师"])
    assert not me.page.locator("#specialty").locator("xpath=ancestor::tr").is_visible()
    me.page.select_option("#qualification", qualifications["二级注册建造师"])
    offered = me.page.eval_on_selector_all("#specialty option", "os => os.map(o => o.textContent)")
    assert "建筑工程" in offered and "土木建筑工程" not in offered and "__None" not in offered
    me.page.select_option("#specialty", label="建筑工程")
    me.type("#certificate_number", CERTIFICATE_NUMBER)
    me.page.click("#issue_date")
    picker = me.page.locator(".datepicker").first.inner_text()
    assert "日" in picker and "一" in picker and "Su" not in picker, picker
    me.page.keyboard.press("Escape")
    issued = province_today() - dt.timedelta(days=200)
    me.page.fill("#issue_date", issued.strftime("%Y/%m/%d"))  # pasted, not typed key by key
    me.page.click("#certificate_number")
    assert me.page.input_value("#issue_date") == issued.isoformat()
    _upload(me, "#scan", "scan.pdf", samples.scan_pdf(), "application/pdf")
    me.shot("certificate-declare")
    me.page.click("button[type=submit]")
    assert "审查人员" in me.flash(), me.flash()
    me.open("/registry/")
    me.page.click("form[action$='/registry/submit'] button[type=submit]")
    assert "审查人员" in me.flash()
    me.shot("registry-submitted")

    # -- the reviewer verifies the certificate with its scan in view
    certificate = _one(QualificationCertificate, certificate_number=CERTIFICATE_NUMBER)
    reviewer.open(f"/qualificationcertificateadminview/edit/{certificate.id}")
    reviewer.see(NAME, CERTIFICATE_NUMBER, "资格证书扫描件")
    assert reviewer.page.locator("a:has-text('打开 PDF 文件')").count() == 1
    reviewer.page.select_option("#verification", "verified")
    reviewer.shot("certificate-verify")
    reviewer.page.click("button[type=submit]")

    # -- the practitioner files 初始注册 and submits it to the enterprise
    me.open("/myapplicationview/add")
    me.page.click("a:has-text('初始注册')")
    me.page.select_option("#qualification", qualifications["二级注册建造师"])
    me.page.select_option("#specialties", label="建筑工程")
    choose(me, "enterprise", ENTERPRISE[2:6], ENTERPRISE)  # a type-ahead (issue 16)
    me.shot("apply-initial")
    me.page.click("button[type=submit]")
    application = _one(Application, practitioner_id=certificate.practitioner_id)
    me.open(f"/myapplicationview/show/{application.id}")
    _press(me, "submit")
    assert "已完成" in me.flash() and "待企业核实" in me.see("待企业核实")
    submitted = me.shot("submitted")
    application = _one(Application, id=application.id)
    shown = local_time(application.submitted_at)
    assert submitted.count(shown) >= 2, "提交时间 and the timeline show different times"

    # -- the enterprise sees what it confirms, and forwards
    clerk.open("/enterprisequeueview/list/")
    clerk.page.click(f"a[href$='/show/{application.id}']")
    clerk.see(ID_NUMBER, CERTIFICATE_NUMBER, "建筑工程", "申请人及核实事项")
    assert clerk.page.locator(".applicant-images img").count() == 2  # photo and signature
    clerk.shot("enterprise-verifies")
    for box in clerk.page.locator("form[data-transition=forward] input[type=checkbox]").all():
        box.check()
    _press(clerk, "forward")
    clerk.see("已完成", "待受理")
    clerk.shot("forwarded")

    # -- the reviewer accepts, then returns it with two itemised items, one the photo
    reviewer.open("/acceptancequeueview/list/")
    reviewer.page.click(f"a[href$='/show/{application.id}']")
    reviewer.shot("acceptance")
    _press(reviewer, "accept")
    reviewer.see("已完成", "审查中")
    form = reviewer.page.locator("form[data-transition=review_return]")
    fields, reasons = form.locator("select[name=item_field]"), form.locator("input[name=item_reason]")
    fields.nth(0).select_option("photo")
    reasons.nth(0).fill("照片背景须为浅色纯色")
    fields.nth(1).select_option("continuing_education")
    reasons.nth(1).fill("请注明继续教育年度")
    form.locator("textarea[name=reason]").fill("材料需补正")
    reviewer.shot("return")
    _press(reviewer, "review_return")
    reviewer.see("已完成", "退回补正")

    # -- the practitioner reads both reasons, corrects both and resubmits
    me.open("/mynotificationview/list/")
    me.shot("messages")
    me.open(f"/myapplicationview/show/{application.id}")
    me.see("照片背景须为浅色纯色", "请注明继续教育年度")
    me.shot("returned")
    me.page.click("a:has-text('逐项补正')")
    _upload(me, "#answer-photo", "photo2.jpg", samples.photo(background=(245, 245, 245)),
            "image/jpeg")
    me.shot("answer")
    me.page.click("button:has-text('保存补正内容')")
    assert "已保存" in me.flash()
    me.page.click("a:has-text('逐项补正')")
    me.page.click("a:has-text('修改申请内容')")
    me.type("#continuing_education", "2025年度继续教育 60 学时")
    me.page.click("button[type=submit]")
    me.see("2025年度继续教育 60 学时")
    _press(me, "resubmit")
    me.see("已完成", "待企业核实")
    me.shot("resubmitted")

    # -- the enterprise sees what changed, and forwards again; accept, review, approve
    clerk.open(f"/enterpriseapplicationview/show/{application.id}")
    clerk.see("退回后修改的内容", "继续教育", "2025年度继续教育 60 学时")
    clerk.shot("changes-since-return")
    #    the second time from the queue, as batch actions (issue 16): 批量核实上报 asks for
    #    the three confirmations once, 批量受理 in FAB's dialog
    clerk.open("/enterprisequeueview/list/")
    tick(clerk, [application.id])
    choose_action(clerk, "batch_forward")
    clerk.see("批量", "已勾选以下1件申请")
    for box in clerk.page.locator("form.batch-form input[name=confirm]").all():
        box.check()
    clerk.shot("batch-forward")
    with clerk.page.expect_navigation():
        clerk.page.click("form.batch-form button[type=submit]")
    assert outcomes(clerk) == {application.id: True}
    clerk.shot("batch-forwarded")
    reviewer.open(f"/acceptancequeueview/show/{application.id}")
    reviewer.see("退回后修改的内容")
    reviewer.open("/acceptancequeueview/list/")
    tick(reviewer, [application.id])
    choose_action(reviewer, "batch_accept")
    assert outcomes(reviewer) == {application.id: True}
    reviewer.shot("batch-accepted")
    with reviewer.page.expect_navigation():  # the result page leads to the application
        reviewer.page.click(f"table.batch-outcomes a:text-is('{application.id}')")
    reviewer.page.locator("form[data-transition=pass_review] textarea").fill("材料齐全，符合条件")
    _press(reviewer, "pass_review")
    reviewer.see("已完成", "待决定")
    approver.open("/decisionqueueview/list/")
    approver.page.click(f"a[href$='/show/{application.id}']")
    approver.shot("decision")
    _press(approver, "approve")
    approver.see("已完成：准予注册", "注册编号")
    approver.shot("approved")

    # -- the practitioner's browser downloads the certificate
    registration = _one(Registration, practitioner_id=certificate.practitioner_id)
    me.open("/myregistrationview/list/")
    me.page.click(f"a[href$='/show/{registration.id}']")
    me.shot("registration")
    with me.page.expect_download() as download_info:
        me.page.click("text=打印电子证书")
    download = download_info.value
    assert download.suggested_filename == f"电子注册证书-{registration.number}-第1版.pdf"
    pdf = open(download.path(), "rb").read()
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for value in (NAME, ID_NUMBER, registration.number, ENTERPRISE, CREDIT_CODE, "建筑工程"):
        assert value in text, value
    today = province_today()
    assert f"{today.year}年{today.month:02d}月{today.day:02d}日" in text  # the province's day
    page = pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil()
    page.save(me.next_file("certificate"))
    [code] = zxingcpp.read_barcodes(page)
    url = code.text
    assert url.startswith(live_server.url + "/verify/"), url  # the address it was served on

    # -- the enterprise prints its practitioners' certificates in one zip (批量打印): the
    #    very document the practitioner printed, under a Chinese name
    clerk.open("/enterpriseregistrationview/list/")
    tick(clerk, [registration.id])
    open_menu(clerk)
    clerk.shot("certificates-to-print")
    with clerk.page.expect_download() as zipped:
        clerk.page.click("a.batch_print_menu_item")
    archive = zipfile.ZipFile(zipped.value.path())
    assert archive.namelist() == [f"{NAME} 电子注册证书-{registration.number}-第1版.pdf"]
    assert archive.read(archive.namelist()[0]) == pdf

    # -- anyone scanning the QR code sees the live record, masked
    public.page.goto(url)
    verified = public.shot("verify")
    assert "有效" in verified and mask_id_number(ID_NUMBER) in verified
    assert ID_NUMBER not in verified and registration.number in verified
    assert today.isoformat() in verified

    # -- a question asked and answered
    me.open("/myconsultationview/add")
    me.page.select_option("#category", "certificate")
    me.type("#subject", "证书打印")
    me.type("#question", "打印出来的证书需要本人签字吗？")
    me.page.click("button[type=submit]")
    question = _one(Consultation, subject="证书打印")
    reviewer.open("/consultationqueueview/list/")
    reviewer.page.click(f"table a[href$='/edit/{question.id}']")
    reviewer.type("#answer", "需要，打印件须本人手写签名后方有效。")
    reviewer.shot("answer-question")
    reviewer.page.click("button[type=submit]")
    me.open("/myconsultationview/list/")
    me.page.click(f"table a[href$='/show/{question.id}']")
    me.see("打印件须本人手写签名后方有效")
    me.shot("question-answered")

    # -- the enterprise administrator adds a staff account
    clerk.open("/enterprisestaffview/add")
    clerk.type("#username", "j_clerk2")
    clerk.type("#full_name", "李经办")
    clerk.type("#password", "Staff-Passw0rd!")
    clerk.page.click("button[type=submit]")
    clerk.see("j_clerk2", "李经办")
    clerk.shot("staff-account")

    # -- the superuser's role screen reads in Chinese, grouped by screen
    admin.open("/roles/list/")
    roles = admin.shot("roles")
    assert "企业用户" in roles and "can_" not in roles and "待核实申请" in roles
    admin.page.click(f"a[href$='/roles/show/{_role_id(app, ROLES['enterprise'].name)}']")
    shown = admin.shot("role")
    assert "核实并上报注册管理部门" in shown and "本企业账号" in shown

    db.session.expire_all()
    assert db.session.get(Application, application.id).state == ApplicationState.approved
    person = db.session.get(QualificationCertificate, certificate.id).practitioner
    assert person.photo_id == (db.session.get(Application, application.id).details
                               ["corrections"]["photo_id"])  # the corrected photo is used
    assert re.fullmatch(r"粤2.+", registration.number)


def _role_id(app, name: str) -> int:
    return app.appbuilder.sm.find_role(name).id
