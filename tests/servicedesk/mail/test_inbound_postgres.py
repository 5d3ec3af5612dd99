"""Two deliveries of the same message at the same instant (a mail server retrying while
the first attempt still runs, or the hook and IMAP both fed): one reply, one duplicate.
On the real PostgreSQL server, each thread with its own connection (see conftest.py)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from mutualis.servicedesk.mail.inbound import receive
from mutualis.servicedesk.models import Comment, InboundEmail, InboundSource, InboundStatus

from .inbound_support import MailDesk, eml

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_two_deliveries_racing_add_one_reply(mail_desk: MailDesk) -> None:
    raw = eml("reply_gmail_fr.eml", mail_desk.ticket)
    operator = mail_desk.cast.operator
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait()
            receive(raw, source=InboundSource.HOOK, operator=operator)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(InboundEmail.objects.values_list("status", flat=True)) == [
        InboundStatus.DUPLICATE,
        InboundStatus.REPLIED,
    ]
    assert Comment.objects.count() == 1
