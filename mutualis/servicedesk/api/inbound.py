"""`POST /api/v1/inbound-email/`: the inbound hook, for a mail server (or a mail service's
webhook relay) handing over each message received at the service desk's address.

The body is the message itself, `Content-Type: message/rfc822`, byte for byte. It is
stored, then processed by the same verb as the pipe and IMAP sources
(`mail.inbound.receive`); the answer, 202, says what became of it.

Who may call it: a read-write API token of an operator administrator (the "mail"
permission, without a new kind of token: a token created by an operator admin, while
acting for the operator, on their account page). The messages are the token's
operator's: a reference to another operator's ticket is never followed. Such a token
posts mail in anyone's name, as the mail server does: keep it on the mail server only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mutualis.lib.numbers import length_over
from mutualis.lib.problems import PROBLEM_CONTENT_TYPE
from mutualis.people.api_auth import ApiTokenAuthentication
from mutualis.people.models import ApiToken
from mutualis.registry.api import schema as registry_schema
from mutualis.registry.api.base import ApiView
from mutualis.registry.api.permissions import scope_of

from ..mail.inbound import receive
from ..models import InboundEmail, InboundReason, InboundSource, InboundStatus

RFC822 = "message/rfc822"


class MessageTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def _too_large() -> MessageTooLarge:
    return MessageTooLarge(
        _("The message is larger than %(limit)d MB: it was not kept. Send it by another way.")
        % {"limit": settings.MAIL_IN_CEILING_BYTES // 1_000_000}
    )


class RawMessageParser(BaseParser):
    """The body as bytes, read up to the ceiling (a larger body is refused, not kept)."""

    media_type = RFC822

    # DRF takes whatever a parser returns as `request.data`; the stubs say a mapping.
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> bytes:  # type: ignore[override]
        ceiling = settings.MAIL_IN_CEILING_BYTES
        data: bytes = stream.read(ceiling + 1) if stream is not None else b""
        if len(data) > ceiling:
            raise _too_large()
        return data


class MailHookPermission(BasePermission):
    def __init__(self) -> None:
        self.message: str = ""

    def has_permission(self, request: Request, view: APIView) -> bool:
        scope = scope_of(request)
        if isinstance(request.auth, ApiToken) and scope.is_operator_admin and scope.can_write:
            return True
        self.message = _(
            "Only a read-write API token of an operator administrator may hand over received mail."
        )
        return False


class InboundEmailSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The message's number in Mutualis.")
    status = serializers.ChoiceField(
        choices=InboundStatus.choices,
        help_text="`replied`: added to a ticket; `opened`: a new ticket; `set_aside`: kept for the "
        "operator's staff to review (see `reason`); `duplicate`: this Message-ID was already received.",
    )
    reason = serializers.ChoiceField(
        choices=[("", ""), *InboundReason.choices], help_text="Why it was set aside; empty otherwise."
    )
    detail = serializers.CharField(help_text="The reason, in a sentence.")
    ticket = serializers.IntegerField(
        allow_null=True, help_text="The number of the ticket it was added to or opened."
    )
    duplicate_of = serializers.IntegerField(allow_null=True, help_text="For a duplicate: the first delivery.")


def _described(status_code: int, description: str) -> dict[tuple[int, str], OpenApiResponse]:
    return {
        (status_code, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            registry_schema.ProblemSerializer, description=description
        )
    }


class InboundEmailView(ApiView):
    # A token only: a browser session (and its cookie) never posts mail.
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsAuthenticated, MailHookPermission]
    parser_classes = [RawMessageParser]

    @extend_schema(
        summary="Hand over a received email (inbound hook)",
        description="The raw message (RFC 5322) as the body, `Content-Type: message/rfc822`. It is stored "
        "first, then added as a reply to the ticket it names (In-Reply-To/References, reply address or "
        "[#number] in the subject), or opens a ticket for a known sender, or is set aside for review: "
        "unknown sender, automatic reply, loop, too many messages from one sender, a ticket the sender "
        "may not see, and so on. A message already received (same Message-ID) is answered `duplicate` "
        "and not processed again, so a mail server may safely retry. Messages over the size limit are "
        "kept and set aside unread; only a body over twice that limit is refused (413) and not kept. "
        "Needs a read-write token of an operator administrator; see docs/email.md.",
        tags=["email"],
        request={RFC822: OpenApiTypes.BINARY},
        responses={
            (202, "application/json"): InboundEmailSerializer,
            **registry_schema.problems(400, 403),
            **_described(413, "The body is over twice the size limit of messages: it was not kept."),
            **_described(415, "The body is not `message/rfc822`."),
        },
    )
    def post(self, request: Request) -> Response:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length_over(length, settings.MAIL_IN_CEILING_BYTES):
            raise _too_large()
        raw = request.data
        if not isinstance(raw, bytes) or not raw.strip():
            raise ParseError(_("The body is empty: send the message itself (message/rfc822)."))
        inbound = receive(raw, source=InboundSource.HOOK, operator=scope_of(request).operator)
        return Response(_answer(inbound), status=status.HTTP_202_ACCEPTED)


def _answer(inbound: InboundEmail) -> dict[str, Any]:
    return InboundEmailSerializer(
        {
            "id": inbound.pk,
            "status": inbound.status,
            "reason": inbound.reason,
            "detail": inbound.detail,
            "ticket": inbound.ticket.number if inbound.ticket else None,
            "duplicate_of": inbound.duplicate_of_id,
        }
    ).data
