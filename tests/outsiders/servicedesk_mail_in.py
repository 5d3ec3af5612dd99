"""Outsider cases of email in: the review of mail set aside (/desk/mail/) and the inbound
hook (/api/v1/inbound-email/).

A message set aside for member A's operator is what outsiders try to reach: charlie (a
user of member B) has no desk (403), oscar (an admin of another operator) gets the 404 of
a message that does not exist, and neither sees it listed. The hook takes a token only,
never a browser session: both get 401 there (tests/servicedesk/mail/test_inbound_hook.py
checks tokens, another operator's included).
"""

from __future__ import annotations

from mutualis.servicedesk.mail.inbound import receive
from mutualis.servicedesk.models import InboundEmail, InboundSource, InboundStatus
from tests.conftest import Cast

from . import Case, Check, Extra

SUBJECT = "Demande d'un inconnu (matrice)"
OUTSIDERS = ("charlie", "oscar")
# charlie: 403 (members never reach the desk); oscar: 404 (not his operator's message).
REFUSED = (403, 404)


def _mail(cast: Cast) -> int:
    raw = (
        "From: inconnu@exemple.fr\r\nTo: support@mutualis.localhost\r\n"
        f"Subject: {SUBJECT}\r\nMessage-ID: <matrice@exemple.fr>\r\n\r\nBonjour.\r\n"
    ).encode()
    return receive(raw, source=InboundSource.PIPE, operator=cast.operator).pk


def _on_mail(action: str, body: dict[str, object] | None = None) -> Case:
    return Case(
        lambda c, x: f"/desk/mail/{x['mail_in']}/{action}/",
        OUTSIDERS,
        REFUSED,
        method="post",
        body=body or {},
    )


OBJECTS: dict[str, Case] = {
    "servicedesk:desk-mail-detail": Case(lambda c, x: f"/desk/mail/{x['mail_in']}/", OUTSIDERS, REFUSED),
    "servicedesk:desk-mail-raw": Case(lambda c, x: f"/desk/mail/{x['mail_in']}/raw/", OUTSIDERS, REFUSED),
    "servicedesk:desk-mail-attach": _on_mail("attach", {"attach-number": 1}),
    "servicedesk:desk-mail-open": _on_mail("open", {"open-site": 1, "open-incident_type": 1}),
    "servicedesk:desk-mail-discard": _on_mail("discard"),
    "desk-api:inbound-email": Case(
        lambda c, x: "/api/v1/inbound-email/", OUTSIDERS, (401,), method="post", body={"raw": "From: x"}
    ),
}

LISTS: dict[str, Case] = {
    "servicedesk:desk-mail": Case(
        lambda c, x: "/desk/mail/?status=all", OUTSIDERS, (200, 403), secret=lambda c: SUBJECT
    ),
}

EXTRA: Extra = {"mail_in": _mail}


def _untouched(cast: Cast, extra: dict[str, int]) -> None:
    inbound = InboundEmail.objects.get(pk=extra["mail_in"])
    assert (inbound.status, inbound.ticket_id, inbound.reviewed_by_id) == (
        InboundStatus.SET_ASIDE,
        None,
        None,
    )
    assert InboundEmail.objects.filter(subject=SUBJECT).count() == 1  # the hook stored nothing


CHECKS: dict[str, Check] = {name: _untouched for name, case in OBJECTS.items() if case.method == "post"}
