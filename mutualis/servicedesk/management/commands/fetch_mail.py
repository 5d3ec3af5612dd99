"""`mutualis fetch_mail`: read new messages from the IMAP mailbox set by MUTUALIS_IMAP_*
(settings.MAIL_IN_IMAP), for a mail service that can neither pipe nor call the hook. Run
it every minute or so (cron, a systemd timer); see docs/email.md and mail/imap.py."""

from __future__ import annotations

import imaplib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mutualis.servicedesk.mail.imap import Mailbox, MailboxError, fetch

from .receive_mail import operator_named


class Command(BaseCommand):
    help = (
        "Read the unread messages of the IMAP mailbox (MUTUALIS_IMAP_HOST, _PORT, _TLS, _USER, _PASSWORD, "
        "_FOLDER, _DONE_FOLDER): store and process each, then mark it read or move it. See docs/email.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--operator", help="The operator's identifier (slug); needed when there are several."
        )
        parser.add_argument("--limit", type=int, default=100, help="At most this many messages per run.")

    def handle(self, *args: Any, **options: Any) -> None:
        mailbox = Mailbox.from_settings(settings.MAIL_IN_IMAP)
        if not mailbox.host:
            raise CommandError("Set MUTUALIS_IMAP_HOST (and the other MUTUALIS_IMAP_* variables) first.")
        try:
            received = fetch(
                mailbox, operator=operator_named(options.get("operator")), limit=options["limit"]
            )
        except (MailboxError, imaplib.IMAP4.error, OSError) as exc:
            raise CommandError(f"IMAP: {exc}") from exc
        for inbound in received:
            detail = f" ({inbound.reason})" if inbound.reason else ""
            self.stdout.write(f"mail {inbound.pk}: {inbound.status}{detail}")
        self.stdout.write(f"{len(received)} message(s) received.")
