"""A real SMTP server (aiosmtpd) on a free local port, for the e-mail tests."""
import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller

BASE = "https://zscx.example.gov.cn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message received."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append((envelope.rcpt_tos, message))
        return "250 OK"


@pytest.fixture
def smtp_port(app):
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=5,
                      MAIL_FROM="registry@example.gov.cn", PUBLIC_BASE_URL=BASE)
    return port


@pytest.fixture
def smtp_server(smtp_port):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield inbox
    controller.stop()
