"""Email tests talk to a real SMTP server: aiosmtpd, started on 127.0.0.1 on a free port
for the test and stopped after it. What it receives is parsed with the `email` package,
as a mail client would."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    """A port nothing listens on now (the OS picks it, then it is released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        # Django 5.2 folds a long encoded subject onto a continuation line ("Subject:\n
        # =?utf-8?b?…?="); Python's parser then keeps the folding space, mail clients drop it.
        return str(self.message["Subject"]).strip()

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        assert body is not None
        # SMTP carries lines ending in CRLF (RFC 5321 §2.3.8); compare texts by their lines.
        return str(body.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


@dataclass
class Collector:
    """The aiosmtpd handler: keeps every envelope it accepts."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    collector: Collector

    @property
    def received(self) -> list[Received]:
        return self.collector.received

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


def _use_smtp(settings: Any, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server for the test, and Django's SMTP backend pointed at it."""
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        _use_smtp(settings, controller.port)
        yield SmtpServer("127.0.0.1", controller.port, collector)
    finally:
        # Stops the event loop and joins its thread: nothing left running, no warning.
        controller.stop()


@pytest.fixture
def closed_smtp_port(settings: Any) -> int:
    """Django's SMTP backend pointed at a port where nothing listens (a relay down)."""
    port = free_port()
    _use_smtp(settings, port)
    return port


# Email in (tests/servicedesk/mail/test_inbound*.py): a desk with a type for requests by
# email and alice's ticket; see inbound_support.py. Deliveries racing each other need the
# real PostgreSQL server, each thread with its own connection: test_inbound_postgres.py is
# collected only when the suite runs on PostgreSQL (as tests/jobs does).
from .inbound_support import ON_POSTGRES, mail_desk  # noqa: E402, F401

collect_ignore_glob = [] if ON_POSTGRES else ["test_inbound_postgres*.py"]
