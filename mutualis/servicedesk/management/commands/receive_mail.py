"""`mutualis receive_mail`: one email from standard input, for a mail server's pipe.

For Postfix, a `pipe` transport in master.cf (docs/email.md):

    mutualis unix - n n - - pipe
      flags=Rq user=mutualis argv=/srv/mutualis/.venv/bin/mutualis receive_mail

Exit codes follow sysexits.h, which mail servers read: 0 the message is kept (whatever
became of it: a reply, a ticket, set aside); 65 (EX_DATAERR) over the hard ceiling, not
kept, the server bounces it to the sender; 75 (EX_TEMPFAIL) the message could not be
stored (database or disk unavailable), the server keeps it and tries again later.
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mutualis.registry.models import Operator
from mutualis.servicedesk.mail.inbound import receive
from mutualis.servicedesk.models import InboundSource

EX_DATAERR = 65
EX_TEMPFAIL = 75


def operator_named(slug: str | None) -> Operator | None:
    if not slug:
        return None
    operator = Operator.objects.filter(slug=slug).first()
    if operator is None:
        raise CommandError(f"No operator has the identifier {slug!r}.", returncode=EX_TEMPFAIL)
    return operator


class Command(BaseCommand):
    # Tests hand the message in as `stdin=` (as Django's createsuperuser does).
    stealth_options = ("stdin",)
    help = (
        "Receive one email from standard input (a mail server's pipe transport): store it, then add it to "
        "its ticket, open a ticket, or set it aside for review. Exit 0 when kept, 65 when over the size "
        "ceiling (not kept), 75 when it could not be stored (the mail server retries). See docs/email.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--operator", help="The operator's identifier (slug); needed when there are several."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stream = options.get("stdin") or sys.stdin.buffer
        ceiling = settings.MAIL_IN_CEILING_BYTES
        raw = stream.read(ceiling + 1)
        if len(raw) > ceiling:
            raise CommandError(
                f"The message is larger than {ceiling // 1_000_000} MB: not kept.", returncode=EX_DATAERR
            )
        if not raw.strip():
            raise CommandError("Standard input is empty: no message.", returncode=EX_DATAERR)
        try:
            inbound = receive(
                raw, source=InboundSource.PIPE, operator=operator_named(options.get("operator"))
            )
        except CommandError:
            raise
        except Exception as exc:
            # Not stored: the mail server must keep the message and try again.
            raise CommandError(
                f"The message could not be stored ({exc}); try again.", returncode=EX_TEMPFAIL
            ) from exc
        detail = f" ({inbound.reason})" if inbound.reason else ""
        self.stdout.write(f"mail {inbound.pk}: {inbound.status}{detail}")
