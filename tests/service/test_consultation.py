"""Online consultation (网上咨询答疑): asking, scoping, answering with a notification to the
asker alone, and the anonymised copy that staff publish."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.enums import ConsultationCategory
from app.extensions import db
from app.models import Application, AuditLog, Consultation, Notification, Practitioner
from app.service.anonymise import mask
from tests import people


def t(app, message: str, **values) -> str:
    """The message as the pages show it (Chinese once the catalogue has it)."""
    from flask_babel import gettext

    with app.test_request_context():
        return gettext(message, **values)


def _user_id(username: str) -> int:
    return db.session.scalar(sa.text("SELECT id FROM ab_user WHERE username = :u"), {"u": username})


def _application_of(username: str) -> int:
    person = db.session.scalar(sa.select(Practitioner).filter_by(user_id=_user_id(username)))
    return db.session.scalar(sa.select(Application.id).filter_by(practitioner_id=person.id))


def _question(username: str) -> Consultation:
    return db.session.scalar(sa.select(Consultation).filter_by(asker_id=_user_id(username)))


def _count(model, **where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**where))


OWN_ONLY = "Choose one of your own applications, or leave it empty."
QUESTION_LENGTH = "The question must have %(min)d to %(max)d characters."
ASK = {"category": "initial", "subject": "初始注册材料", "question": "初始注册需要提交哪些材料？"}


# ---------------------------------------------------------------- asking
def test_ask_without_an_application(app, login):
    client = login("prac_a")
    response = client.post("/myconsultationview/add", data=ASK)
    assert response.status_code == 302
    asked = db.session.scalar(sa.select(Consultation).filter_by(subject="初始注册材料"))
    assert asked.asker_id == _user_id("prac_a") and asked.application_id is None
    assert asked.category == ConsultationCategory.initial and not asked.published
    html = client.get("/myconsultationview/list/").get_data(as_text=True)
    assert "初始注册材料" in html and t(app, "Awaiting answer") in html


def test_ask_about_ones_own_application(app, login):
    client = login("prac_a")
    mine = _application_of("prac_a")
    form = client.get("/myconsultationview/add").get_data(as_text=True)
    assert f'value="{mine}"' in form and f'value="{_application_of("prac_b")}"' not in form
    assert client.post("/myconsultationview/add",
                       data={**ASK, "application": str(mine)}).status_code == 302
    asked = db.session.scalar(sa.select(Consultation).filter_by(subject="初始注册材料"))
    assert asked.application_id == mine
    show = client.get(f"/myconsultationview/show/{asked.id}").get_data(as_text=True)
    assert f"/myapplicationview/show/{mine}" in show


def test_someone_elses_application_is_refused_with_a_message(app, login):
    client = login("prac_a")
    before = _count(Consultation)
    response = client.post("/myconsultationview/add",
                           data={**ASK, "application": str(_application_of("prac_b"))})
    assert response.status_code == 200
    assert t(app, OWN_ONLY) in response.get_data(as_text=True)
    assert _count(Consultation) == before


def test_an_account_without_applications_may_ask_but_not_link_one(app, login):
    client = login("reviewer")
    response = client.post("/myconsultationview/add",
                           data={**ASK, "application": str(_application_of("prac_a"))})
    assert t(app, OWN_ONLY) in response.get_data(as_text=True)
    assert client.post("/myconsultationview/add", data=ASK).status_code == 302
    assert _count(Consultation, asker_id=_user_id("reviewer")) == 1


def test_length_limits_and_missing_fields_are_explained_in_chinese(app, login):
    client = login("prac_a")
    before = _count(Consultation)
    too_long = t(app, "The subject may have at most %(max)d characters.", max=100)
    length = t(app, QUESTION_LENGTH, min=5, max=2000)
    cases = [({**ASK, "subject": ""}, t(app, "Enter a subject.")),
             ({**ASK, "subject": "长" * 101}, too_long),
             ({**ASK, "question": "短"}, length),
             ({**ASK, "question": "长" * 2001}, length),
             ({**ASK, "category": "nonsense"}, "")]
    for data, message in cases:
        response = client.post("/myconsultationview/add", data=data)
        assert response.status_code == 200, data
        assert message in response.get_data(as_text=True), data
    assert _count(Consultation) == before


def test_another_users_question_is_not_found(app, login):
    client = login("prac_a")
    theirs = _question("prac_b")
    for method, url in (("GET", f"/myconsultationview/show/{theirs.id}"),
                        ("POST", f"/myconsultationview/show/{theirs.id}"),
                        ("GET", f"/myconsultationview/edit/{theirs.id}"),
                        ("POST", f"/myconsultationview/delete/{theirs.id}")):
        assert client.open(url, method=method).status_code in (403, 404, 405), (method, url)
    assert client.get(f"/myconsultationview/show/{theirs.id}").status_code == 404
    html = client.get("/myconsultationview/list/").get_data(as_text=True)
    assert theirs.subject not in html and _question("prac_a").subject in html


# ---------------------------------------------------------------- answering
def test_answering_notifies_the_asker_only_in_the_same_transaction(app, login):
    question = _question("prac_a")
    staff = login("reviewer")
    queue = staff.get("/consultationqueueview/list/").get_data(as_text=True)
    assert f"/show/{question.id}" in queue
    form = staff.get(f"/consultationadminview/edit/{question.id}").get_data(as_text=True)
    assert question.question in form and "readonly" in form  # who answers sees the question
    response = staff.post(f"/consultationadminview/edit/{question.id}",
                          data={"answer": "请登录后在个人办事中提交初始注册申请。"})
    assert response.status_code == 302
    db.session.expire_all()
    answered = db.session.get(Consultation, question.id)
    assert answered.answer == "请登录后在个人办事中提交初始注册申请。"
    assert answered.answered_by_id == _user_id("reviewer") and answered.answered_at is not None
    messages = db.session.scalars(sa.select(Notification).filter_by(
        kind="consultation_answered")).all()
    assert [m.user_id for m in messages] == [_user_id("prac_a")]
    assert messages[0].link.endswith(f"/myconsultationview/show/{question.id}")
    assert f"/show/{question.id}" not in staff.get("/consultationqueueview/list/").get_data(
        as_text=True)  # answered: out of the queue
    # Saved again unchanged: no second message; changed: the asker hears of it.
    staff.post(f"/consultationadminview/edit/{question.id}",
               data={"answer": "请登录后在个人办事中提交初始注册申请。"})
    assert _count(Notification, kind="consultation_answered") == 1
    staff.post(f"/consultationadminview/edit/{question.id}", data={"answer": "更正后的答复。"})
    assert _count(Notification, kind="consultation_answered", user_id=_user_id("prac_a")) == 2
    asker = login("prac_a")
    show = asker.get(f"/myconsultationview/show/{question.id}").get_data(as_text=True)
    assert "更正后的答复。" in show and t(app, "Answered") in show
    audit = db.session.scalar(sa.select(AuditLog).filter_by(
        action="update", object_type="Consultation", object_id=str(question.id)))
    assert "answer" in audit.detail["changes"] and audit.actor_name == "reviewer"


def test_a_blank_answer_is_refused(app, login):
    question = _question("prac_a")
    staff = login("approver")
    for blank in ("", "   \n  "):
        response = staff.post(f"/consultationadminview/edit/{question.id}", data={"answer": blank})
        assert t(app, "The answer cannot be empty.") in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Consultation, question.id).answer is None
    assert _count(Notification, kind="consultation_answered") == 0


def test_the_show_page_links_the_application_for_staff(app, login):
    question = _question("prac_a")
    question.application_id = _application_of("prac_a")
    db.session.commit()
    html = login("reviewer").get(f"/consultationadminview/show/{question.id}").get_data(as_text=True)
    assert f"/applicationadminview/show/{question.application_id}" in html
    assert question.question in html


def test_askers_cannot_answer_or_publish(app, login):
    client = login("prac_a")
    question = _question("prac_a")
    assert client.post(f"/consultationadminview/edit/{question.id}",
                       data={"answer": "x"}).status_code == 403
    assert client.post(f"/faqpublishview/edit/{question.id}",
                       data={"published": "y"}).status_code == 403
    assert client.post(f"/myconsultationview/edit/{question.id}",
                       data={"answer": "x"}).status_code in (403, 404, 405)
    db.session.expire_all()
    assert db.session.get(Consultation, question.id).answer is None


# ---------------------------------------------------------------- publishing
def _answered(text_q: str, text_a: str, username: str = "prac_a") -> Consultation:
    question = _question(username)
    question.question, question.answer = text_q, text_a
    question.answered_at = dt.datetime.now(dt.UTC)
    db.session.commit()
    return question


def test_publishing_proposes_an_anonymised_copy_and_publishes_it(app, login):
    question = _answered(f"我是测试甲，身份证{people.ID_A}，电话13800000001，能否延续？",
                         "测试甲您好：可以申请延续注册。")
    staff = login("reviewer")
    assert staff.get(f"/faqpublishview/edit/{_question('prac_b').id}").status_code == 404  # unanswered
    form = staff.get(f"/faqpublishview/edit/{question.id}").get_data(as_text=True)
    assert people.ID_A not in form.split("<textarea", 1)[1] and "某某" in form
    response = staff.post(f"/faqpublishview/edit/{question.id}", data={
        "category": "renewal", "faq_question": "注册到期前能否申请延续？",
        "faq_answer": "可以，在有效期届满前申请延续注册。", "published": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    published = db.session.get(Consultation, question.id)
    assert published.published and published.published_at is not None
    assert published.question.startswith("我是测试甲")  # the asker's own text is kept, unpublished
    assert _count(AuditLog, action="faq_publish", object_id=str(question.id)) == 1
    response = staff.post(f"/faqpublishview/edit/{question.id}", data={
        "category": "renewal", "faq_question": published.faq_question,
        "faq_answer": published.faq_answer})
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    db.session.expire_all()
    withdrawn = db.session.get(Consultation, question.id)
    assert not withdrawn.published and withdrawn.published_at is None
    assert _count(AuditLog, action="faq_unpublish", object_id=str(question.id)) == 1


def test_publishing_without_public_text_is_refused(app, login):
    question = _answered("问题内容足够长", "答复")
    response = login("reviewer").post(f"/faqpublishview/edit/{question.id}", data={
        "category": "other", "faq_question": "", "faq_answer": "", "published": "y"})
    refused = t(app, "Enter the public question and answer before publishing.")
    assert refused in response.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(Consultation, question.id).published


# ---------------------------------------------------------------- masking, kind by kind
def test_each_kind_of_personal_data_is_masked():
    cases = {
        f"身份证{people.ID_A}": people.ID_A,
        "旧身份证110105800101001": "110105800101001",
        "手机13912345678": "13912345678",
        "手机 139-1234-5678": "139-1234-5678",
        "手机+86 13912345678": "13912345678",
        "座机020-87654321": "87654321",
        "座机(0755)88886666转123": "88886666",
        "邮箱zhang.san@example.com": "zhang.san@example.com",
        "注册编号粤24420192020000123": "粤24420192020000123",
        "证书编号JZ2019000123": "JZ2019000123",
        f"信用代码{people.CREDIT_A}": people.CREDIT_A,
        f"信用代码{people.CREDIT_B}": people.CREDIT_B,
        "我在广州华信建设工程有限公司工作": "华信建设工程有限公司",
    }
    for text, secret in cases.items():
        assert secret not in mask(text), (text, mask(text))
    assert mask("2025年的继续教育需要多少学时？") == "2025年的继续教育需要多少学时？"  # nothing personal


def test_the_askers_own_name_and_enterprise_are_masked(app):
    from app.service.anonymise import anonymised

    question = _question("prac_a")
    question.question = "我叫测试甲，在测试建设工程有限公司甲上班，法人是法人甲，资质D1440a。"
    question.answer = "测试甲您好，请联系贵公司。"
    db.session.commit()
    public_question, public_answer = anonymised(question)
    for secret in ("测试甲", "测试建设工程有限公司甲", "法人甲", "D1440a"):
        assert secret not in public_question + public_answer, (public_question, public_answer)
    assert "某某" in public_question and "某公司" in public_question


def test_credit_codes_of_every_registration_authority_are_masked():
    for code in ("N2440106MA0000001G", "A1440106MA00000023", "Y1440106MA0000003H"):
        assert mask(f"本单位信用代码{code}，请核实") == "本单位信用代码[信用代码]，请核实"
