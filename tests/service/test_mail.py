"""E-mail copies through a real SMTP server (aiosmtpd) started by the test: who receives
what, in Chinese UTF-8 with an absolute link; a server that is down never stops a
transition, and the copy is sent by the retry."""
import datetime as dt
import socket

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app.enums import ApplicationState as S
from app.extensions import db
from app.models import Consultation, Notification
from app.service.mailer import send_emails
from tests.service.conftest import BASE, Inbox
from tests.workflow_support import (
    act,
    enterprise_of,
    make_applicant,
    put_application,
    put_registration,
)


@pytest.fixture(autouse=True)
def contact_addresses(app):
    """The addresses people gave: a practitioner's own e-mail, an enterprise account's. The
    accounts' own @test.invalid addresses stand for placeholders: never mailed."""
    db.session.execute(sa.text("UPDATE ab_user SET email = username || '@example.com' "
                               "WHERE username IN ('ent_a', 'ent_b')"))
    db.session.execute(sa.text(
        "UPDATE practitioner SET email = (SELECT username FROM ab_user "
        "WHERE ab_user.id = practitioner.user_id) || '@example.com' WHERE user_id IS NOT NULL"))
    db.session.commit()


def given_address(person, address):
    person.email = address
    db.session.commit()
    return person


@pytest.fixture
def applicant(app, login):
    person = make_applicant(app, "applicant", enterprise_of("ent_a", app))
    return given_address(person, "applicant@example.com"), login("applicant")


def states(**where):
    db.session.expire_all()
    return sorted((m.email_state, m.email_attempts) for m in db.session.scalars(
        sa.select(Notification).filter_by(**where)))


def test_transition_messages_are_e_mailed_in_chinese_with_a_link(app, applicant, smtp_server):
    person, me = applicant
    app_id = put_application(person, enterprise_of("ent_a", app), S.draft)
    assert act(me, app_id, "submit").status_code == 200

    assert states(kind="submit") == [("sent", 1), ("sent", 1)]
    by_recipient = {tuple(rcpt): message for rcpt, message in smtp_server.received}
    assert set(by_recipient) == {("applicant@example.com",), ("ent_a@example.com",)}
    mine = by_recipient[("applicant@example.com",)]
    stored = db.session.scalar(sa.select(Notification).filter_by(
        kind="submit", user_id=person.user_id))
    assert mine["Subject"] == stored.title and "初始注册" in mine["Subject"]
    assert mine["From"] == "registry@example.gov.cn"
    body = mine.get_content()
    assert mine.get_content_charset() == "utf-8"
    assert person.real_name in body and "初始注册" in body
    assert f"{BASE}/myapplicationview/show/{app_id}" in body
    theirs = by_recipient[("ent_a@example.com",)].get_content()
    assert f"{BASE}/enterpriseapplicationview/show/{app_id}" in theirs


def test_a_server_that_is_down_fails_the_copy_not_the_transition(app, applicant, smtp_port):
    person, me = applicant
    app_id = put_application(person, enterprise_of("ent_a", app), S.draft)
    response = act(me, app_id, "submit")
    assert response.status_code == 200 and response.json["state"] == "pending_enterprise"
    assert states(kind="submit") == [("failed", 1), ("failed", 1)]

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        report = send_emails()
    finally:
        controller.stop()
    assert (report.sent, report.failed) == (2, 0)
    assert states(kind="submit") == [("sent", 2), ("sent", 2)]
    assert len(inbox.received) == 2
    assert send_emails().sent == 0  # sent once


def test_retries_stop_at_the_limit(app, applicant, smtp_port):
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    person, me = applicant
    app_id = put_application(person, enterprise_of("ent_a", app), S.pending_enterprise)
    assert act(me, app_id, "withdraw").status_code == 200
    assert send_emails().failed == 2
    assert states(kind="withdraw") == [("failed", 2), ("failed", 2)]
    assert send_emails().failed == 0  # given up


def test_without_smtp_no_copy_is_wanted(app, applicant):
    person, me = applicant
    app_id = put_application(person, enterprise_of("ent_a", app), S.pending_enterprise)
    assert act(me, app_id, "withdraw").status_code == 200
    assert states(kind="withdraw") == [(None, 0), (None, 0)]


def test_reminders_are_e_mailed_by_the_command(app, smtp_server):
    person = given_address(make_applicant(app, "holder", enterprise_of("ent_a", app)),
                           "holder@example.com")
    registration = put_registration(person, enterprise_of("ent_a", app), [dt.date(2027, 6, 30)])
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--today", "2027-05-31"])
    assert result.exit_code == 0, result.output
    assert states(kind="renewal_30") == [("sent", 1), ("sent", 1)]
    recipients = sorted(r[0] for r, _ in smtp_server.received)
    assert recipients == ["ent_a@example.com", "holder@example.com"]
    message = next(m for r, m in smtp_server.received if r == ["holder@example.com"])
    assert registration.number in message["Subject"]
    assert f"{BASE}/myregistrationview/show/{registration.id}" in message.get_content()


def test_a_server_that_never_answers_delays_by_the_timeout_only(app, applicant):
    import time

    with socket.socket() as silent:  # accepts connections (backlog), never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=silent.getsockname()[1],
                          MAIL_TIMEOUT=1)
        person, me = applicant
        app_id = put_application(person, enterprise_of("ent_a", app), S.pending_enterprise)
        started = time.perf_counter()
        response = act(me, app_id, "withdraw")
        assert response.status_code == 200 and response.json["state"] == "withdrawn"
        assert time.perf_counter() - started < 5
    assert states(kind="withdraw") == [("failed", 1), ("failed", 1)]


def test_an_answer_to_a_question_is_e_mailed_at_once(app, login, smtp_server):
    asker = login("prac_a")
    assert asker.post("/myconsultationview/add", data={
        "category": "account", "subject": "忘记密码", "question": "忘记密码后如何找回？"}
    ).status_code == 302
    db.session.expire_all()
    question_id = db.session.scalar(sa.select(Consultation.id).filter_by(subject="忘记密码"))
    response = login("reviewer").post(f"/consultationadminview/edit/{question_id}",
                                      data={"answer": "请联系本单位管理员重置密码。"})
    assert response.status_code == 302

    assert [rcpt for rcpt, _message in smtp_server.received] == [["prac_a@example.com"]]
    message = smtp_server.received[0][1]
    assert "忘记密码" in message["Subject"]
    assert f"{BASE}/myconsultationview/show/{question_id}" in message.get_content()
    assert states(kind="consultation_answered") == [("sent", 1)]


def _mail_for(username: str, title: str, **columns) -> int:
    """A message with an e-mail copy due, written as notify() would, for `username`."""
    user_id = db.session.scalar(sa.text("SELECT id FROM ab_user WHERE username = :u"),
                                {"u": username})
    message = Notification(user_id=user_id, title=title, body="", kind="test",
                           **{"email_state": "pending", "email_attempts": 0, **columns})
    db.session.add(message)
    db.session.commit()
    return message.id


def test_a_line_break_in_a_subject_fails_that_copy_only(app, smtp_server):
    bad = _mail_for("prac_a", "忘记\r\nBcc: someone@example.com")  # stored by an older path
    good = _mail_for("prac_b", "正常的消息")
    report = send_emails()
    assert (report.sent, report.failed) == (1, 1)
    assert [rcpt for rcpt, _m in smtp_server.received] == [["prac_b@example.com"]]
    db.session.expire_all()
    assert (db.session.get(Notification, bad).email_state,
            db.session.get(Notification, good).email_state) == ("failed", "sent")


def test_notify_and_the_question_form_keep_titles_on_one_line(app, login):
    from app.notifications import notify

    with app.test_request_context():
        assert notify(1, "第一行\r\nBcc: x@example.com\n第三行").title == \
            "第一行 Bcc: x@example.com 第三行"
        db.session.rollback()
    assert login("prac_a").post("/myconsultationview/add", data={
        "category": "other", "subject": "换行\r\nBcc: x@example.com", "question": "问题内容？"}
    ).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(Consultation.subject).filter(
        Consultation.subject.like("换行%"))) == "换行 Bcc: x@example.com"


def test_a_copy_being_sent_is_not_sent_again_until_its_claim_is_old(app, smtp_server):
    from app.notifications import now

    fresh = _mail_for("prac_a", "正在发送", email_state="sending", email_attempts=1,
                      email_claimed_at=now())
    assert send_emails().sent == 0 and smtp_server.received == []
    db.session.get(Notification, fresh).email_claimed_at = now() - dt.timedelta(hours=1)
    db.session.commit()  # the sender died an hour ago: the claim is taken over
    assert send_emails().sent == 1
    assert states(kind="test") == [("sent", 2)]
