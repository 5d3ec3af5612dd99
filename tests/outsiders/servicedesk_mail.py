"""Outsider cases of email out's pages. The back-office's email templates and outbox are
under /backoffice/ (outside this matrix): see tests/servicedesk/mail/test_notifications_templates.py."""

from __future__ import annotations

from . import Case

# One's own choices: the page names nobody else (alice's address stands for her choices).
LISTS: dict[str, Case] = {
    "servicedesk:notification-preferences": Case(
        lambda c, x: "/accounts/notifications/", ("charlie", "oscar"), (200,), secret=lambda c: c.alice.email
    ),
}
