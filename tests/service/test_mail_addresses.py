"""Where e-mail copies go: the contact address the person gave, never an account's
placeholder (self-registered accounts carry one under users.invalid, because FAB wants a
unique e-mail per account), and no ID number in any address. Real SMTP server (aiosmtpd)."""
import logging

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import User

from app.enums import ApplicationState as S
from app.extensions import db
from app.identity import resident_id_check_char
from app.models import EnterpriseUser, Notification, Practitioner
from app.service.mailer import send_emails
from tests.workflow_support import act, enterprise_of, put_application

FIRST17 = "44010619900307123"
ID_NUMBER = FIRST17 + resident_id_check_char(FIRST17)
PASSWORD = "Zhang-2026x"


def sign_up(client, email: str = "") -> Practitioner:
    response = client.post("/signup/", data={
        "real_name": "张三", "id_number": ID_NUMBER, "phone": "13900000009", "email": email,
        "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(sa.select(Practitioner).filter_by(id_number=ID_NUMBER))


def returned_by_the_enterprise(app, login, person: Practitioner) -> None:
    app_id = put_application(person, enterprise_of("ent_a", app), S.pending_enterprise)
    response = act(login("ent_a"), app_id, "enterprise_return", reason="请补充学历证明")
    assert response.status_code == 200, response.get_data(as_text=True)


def account_email(user_id: int) -> str:
    db.session.expire_all()
    return db.session.get(User, user_id).email


def test_a_copy_reaches_the_address_the_practitioner_gave(app, client, login, smtp_server):
    person = sign_up(client, "zhang.san@example.com")
    placeholder = account_email(person.user_id)
    assert placeholder.endswith("@users.invalid") and ID_NUMBER.lower() not in placeholder.lower()

    returned_by_the_enterprise(app, login, person)
    assert [rcpt for rcpt, _m in smtp_server.received] == [["zhang.san@example.com"]]
    message = smtp_server.received[0][1]
    assert message["To"] == "zhang.san@example.com" and "退回" in message["Subject"]
    assert not any(".invalid" in r or ID_NUMBER in r for rcpt, _m in smtp_server.received
                   for r in rcpt)


def test_without_an_address_no_mail_is_sent_but_the_message_is_written(
        app, client, login, smtp_server, caplog):
    person = sign_up(client)
    with caplog.at_level(logging.INFO):
        returned_by_the_enterprise(app, login, person)
    assert smtp_server.received == []
    stored = db.session.scalar(sa.select(Notification).filter_by(
        user_id=person.user_id, kind="enterprise_return"))
    assert stored is not None and stored.email_state is None
    assert f"user {person.user_id}: no contact address" in caplog.text
    assert ID_NUMBER not in caplog.text


def test_a_copy_written_for_a_placeholder_is_never_sent(app, smtp_server):
    """Copies pending from before: resolved when sent, so the placeholder gets nothing."""
    person = db.session.scalar(sa.select(Practitioner).join(User).filter(
        User.username == "prac_a"))
    db.session.get(User, person.user_id).email = f"{person.id_number.lower()}@users.invalid"
    message = Notification(user_id=person.user_id, title="旧消息", body="", kind="test",
                           email_state="pending", email_attempts=0)
    db.session.add(message)
    db.session.commit()
    assert (send_emails().sent, smtp_server.received) == (0, [])
    db.session.expire_all()
    assert db.session.get(Notification, message.id).email_state is None

    db.session.get(Practitioner, person.id).email = "prac_a@example.com"  # given later
    db.session.get(Notification, message.id).email_state = "pending"
    db.session.commit()
    assert send_emails().sent == 1
    assert [rcpt for rcpt, _m in smtp_server.received] == [["prac_a@example.com"]]


ENTERPRISE = {"name": "某某建设有限公司", "credit_code": "91440106MA0000004A",
              "legal_representative": "张三", "city": "广州市", "address": "天河路1号",
              "aptitude_certificate_no": "D144010001", "aptitude_expiry": "",
              "admin_name": "王经办", "phone": "13800000001", "password": "Newco-2026x",
              "confirm": "Newco-2026x"}


def test_an_enterprise_account_keeps_the_address_given_at_sign_up(app, client):
    assert client.post("/signup/enterprise", data={
        **ENTERPRISE, "username": "newco_admin", "email": "wang@newco.example.com"}
    ).status_code == 302
    user = app.appbuilder.sm.find_user(username="newco_admin")
    assert user.email == "wang@newco.example.com"
    assert db.session.scalar(sa.select(EnterpriseUser.is_admin).filter_by(user_id=user.id))


def test_an_enterprise_account_without_an_address_gets_a_placeholder_without_its_name(
        app, client):
    app.appbuilder.sm.find_user(username="ent_b").email = "Taken@example.com"
    db.session.commit()
    response = client.post("/signup/enterprise", data={
        **ENTERPRISE, "username": "newco_admin", "email": "taken@example.com"})
    assert "该电子邮箱已被其他账号使用" in response.get_data(as_text=True)
    assert client.post("/signup/enterprise", data={**ENTERPRISE, "username": "newco_admin"}
                       ).status_code == 302
    email = app.appbuilder.sm.find_user(username="newco_admin").email
    assert email.endswith("@users.invalid") and "newco" not in email


def test_a_colleagues_account_keeps_the_address_the_administrator_gave(app, login):
    admin = login("ent_a")
    assert admin.post("/enterprisestaffview/add", data={
        "username": "clerk_zhao", "full_name": "赵文员", "email": "zhao@ent-a.example.com",
        "password": "Clerk-2026zz"}).status_code == 302
    assert app.appbuilder.sm.find_user(username="clerk_zhao").email == "zhao@ent-a.example.com"
    assert admin.post("/enterprisestaffview/add", data={
        "username": "clerk_qian", "full_name": "钱文员", "password": "Clerk-2026qq"}
    ).status_code == 302
    email = app.appbuilder.sm.find_user(username="clerk_qian").email
    assert email.endswith("@users.invalid") and "clerk" not in email
