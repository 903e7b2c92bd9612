"""The public FAQ (/faq/): no login, only published entries and only their public text,
search by words with % and _ literal, category filter, pagination, rate limit, XSS inert."""
from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from app.enums import ConsultationCategory
from app.extensions import db
from app.models import Consultation
from tests import people
from tests.test_hostile_input import ESCAPED_SCRIPT, LIVE_MARKUP, SCRIPT


def _asker() -> int:
    return db.session.scalar(sa.text("SELECT id FROM ab_user WHERE username = 'prac_a'"))


def entry(question: str, answer: str, *, published: bool = True,
          category: ConsultationCategory = ConsultationCategory.other, days_ago: int = 0,
          private_question: str = "测试甲的原始问题", private_answer: str = "给测试甲的原始答复"):
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    row = Consultation(asker_id=_asker(), category=category, subject="原始主题",
                       question=private_question, answer=private_answer, answered_at=now,
                       faq_question=question, faq_answer=answer, published=published,
                       published_at=now if published else None)
    db.session.add(row)
    db.session.commit()
    return row


def faq(client, **args) -> str:
    response = client.get("/faq/", query_string=args)
    assert response.status_code == 200, (args, response.status_code)
    return response.get_data(as_text=True)


def test_anyone_sees_only_published_entries_and_only_their_public_text(app, client):
    entry("延续注册什么时候申请？", "有效期届满前三十日申请。",
          private_question=f"我是测试甲，身份证{people.ID_A}，什么时候延续？")
    entry("未公开的问题", "未公开的答复", published=False)
    html = faq(client)
    assert "延续注册什么时候申请？" in html and "有效期届满前三十日申请。" in html
    assert "未公开的问题" not in html
    for private in ("测试甲", people.ID_A, "原始问题", "原始答复", "原始主题",
                    "如何申请初始注册"):  # the fixture's unpublished question
        assert private not in html, private


def test_search_finds_words_in_question_or_answer_ignoring_case(app, client):
    entry("证书如何打印？", "登录后在我的注册中打印 PDF 电子证书。")
    entry("忘记密码怎么办？", "在登录页找回，或联系系统管理员。")
    assert "证书如何打印" in faq(client, q="打印") and "忘记密码" not in faq(client, q="打印")
    assert "证书如何打印" in faq(client, q="pdf")  # case-insensitive
    assert "忘记密码" in faq(client, q="管理员 找回")  # every word, anywhere
    assert "data-result=\"none\"" in faq(client, q="管理员 打印")


def test_percent_and_underscore_are_literal(app, client):
    entry("完成率100%算合格吗？", "是的。")
    entry("文件名可以用 a_b 吗？", "可以。")
    entry("普通问题", "普通答复")
    assert "完成率100%" in faq(client, q="100%")
    assert "普通问题" not in faq(client, q="%")
    assert "普通问题" not in faq(client, q="_")
    assert "a_b" in faq(client, q="a_b") and "a_b" not in faq(client, q="ab")
    assert "data-result=\"none\"" in faq(client, q="\\")


def test_category_filter_and_unknown_values_do_not_fail(app, client):
    entry("账户问题", "答复一", category=ConsultationCategory.account)
    entry("证书问题", "答复二", category=ConsultationCategory.certificate)
    html = faq(client, category="account")
    assert "账户问题" in html and "证书问题" not in html
    for args in ({"category": "nonsense"}, {"page": "abc"}, {"page": "-5"}, {"page": "99999"},
                 {"page": "1e9"}, {"q": "x" * 5000}, {"category": "<script>"}):
        faq(client, **args)


def test_pagination_newest_first(app, client):
    for n in range(23):
        entry(f"问题编号Q{n:02d}", "答复", days_ago=n)
    first, third = faq(client), faq(client, page="3")
    assert first.index("问题编号Q00") < first.index("问题编号Q01")  # newest first
    assert "问题编号Q10" not in first and "问题编号Q22" in third
    assert 'href="/faq/?page=3"' in first


def test_a_script_payload_is_shown_as_text(app, client):
    payload = SCRIPT + '"><img src=x onerror=alert(1)>'
    entry(payload, payload)
    for html in (faq(client), faq(client, q=payload)):
        assert not LIVE_MARKUP.search(html)
        assert ESCAPED_SCRIPT in html
    assert not re.search(r"<script(?![^>]*nonce=)[^>]*>[^<]", faq(client))  # no inline script


def test_the_faq_is_linked_from_the_login_and_home_pages(app, client):
    assert "/faq/" in client.get("/login/").get_data(as_text=True)
    assert "/faq/" in client.get("/").get_data(as_text=True)


def test_rate_limit_per_client_address(app, client):
    app.config["FAQ_RATE_LIMIT"] = "3 per minute"
    assert [client.get("/faq/").status_code for _ in range(4)] == [200] * 3 + [429]


def test_the_demo_has_published_entries_and_loads_them_once(app, client):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load", "--practitioners", "20"]).exit_code == 0
    again = runner.invoke(args=["demo", "load", "--practitioners", "20"])
    assert "demo: questions added 0" in again.output
    html = faq(client)
    assert html.count('class="panel panel-default faq-entry"') == 5
    assert "13800138000" not in html  # the asker's own text, with their phone, stays private
