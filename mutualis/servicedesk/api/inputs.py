"""Request bodies of the ticket API.

They parse, check types and scope, and put each answer through the incident type's own form
(`answers.answer_form_class`) and each file through `attachments.check_uploads`; the rules
of the service desk (a type offered to the site, equipment of that site, the life cycle)
are checked by the verbs of `mutualis.servicedesk.services`, which the views call with
`validated_data`. Bodies are JSON, or multipart/form-data where files may come along.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.db.models import QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.utils import html

from mutualis.lib.json_input import strict_loads
from mutualis.lib.numbers import fits_an_id
from mutualis.people.models import User
from mutualis.people.tenancy import Scope
from mutualis.registry.api.fields import (
    KnownFieldsMixin,
    ScopedFieldsMixin,
    StrictChoiceField,
    scoped_id_field,
)
from mutualis.registry.models import Asset, Site

from ..answers import answer_form_class, answers_from
from ..attachments import CheckedFile, check_uploads
from ..catalogue import is_offered
from ..models import Category, DeskSettings, IncidentType, Team, Ticket, TicketChannel
from .fields import PriorityField, TicketStateField

MB = 1_000_000  # as attachments.check_upload counts them in its messages
MESSAGE_MAX = 20_000  # a long e-mail pasted in; beyond, attach a file

# Error messages of DRF fields are format strings: literal braces are doubled.
_NO_TYPE = gettext_lazy("No such incident type (see GET /api/v1/sites/{{id}}/catalogue/).")


class OperatorRowsMixin:
    """Fields naming rows of the operator's own catalogue and organisation (incident types,
    categories, teams), which a member's people name too: they accept the rows of the
    scope's operator, so another operator's id reads like a missing one. Listed before
    ScopedFieldsMixin in the bases, whose `visible_to` would hide these rows from members."""

    operator_rows: ClassVar[dict[str, Callable[[int | None], QuerySet[Any]]]] = {}
    fields: Any
    context: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope: Scope | None = self.context.get("scope")
        if scope is None:
            return
        for name, rows in self.operator_rows.items():
            self.fields[name].queryset = rows(scope.operator_id)


def rows_of_operator(model: Any, *, active_only: bool = False) -> Callable[[int | None], QuerySet[Any]]:
    """The rows of `model` of the scope's operator (those in use, with `active_only`)."""

    def rows(operator_id: int | None) -> QuerySet[Any]:
        queryset = model.objects.active() if active_only else model.objects.all()
        return queryset.filter(operator_id=operator_id)

    return rows


class _JsonField(serializers.Field):
    """A JSON value: itself in a JSON body, JSON text in a multipart/form-data body."""

    def get_value(self, dictionary: Any) -> Any:
        value = super().get_value(dictionary)
        if html.is_html_input(dictionary) and isinstance(value, str):
            try:
                return strict_loads(value)  # mutualis.lib.json_input: as a JSON body is read
            except ValueError:
                return value  # text that is not JSON: refused as not of the expected type
        return value

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {},
        "description": "The answers to the type's questions, by key (see the catalogue): text, number, "
        "date (YYYY-MM-DD), yes_no (`yes`/`no` or true/false), choice (one of the choices), "
        "multiple_choice (a list of them), asset (an asset id).",
    }
)
class AnswersField(_JsonField):
    default_error_messages = {
        "invalid": gettext_lazy(
            'Give the answers as a JSON object by question key, e.g. {{"since": "2025-03-01"}}.'
        ),
    }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail("invalid")
        return data


@extend_schema_field({"type": "array", "items": {"type": "integer"}})
class AssetIdsField(_JsonField):
    default_error_messages = {
        "invalid": gettext_lazy("Give the equipment as a JSON list of at most 50 asset ids, e.g. [12, 15]."),
    }

    def to_internal_value(self, data: Any) -> list[int]:
        # bool is an int to Python, not an id to anyone.
        if not isinstance(data, list) or len(data) > 50 or not all(type(v) is int for v in data):
            self.fail("invalid")
        return data


def uploads_field() -> Any:
    """Files sent with the message (multipart/form-data, the field repeated per file). Their
    content is judged by `attachments.check_uploads`, so an empty file gets its message."""
    return serializers.ListField(
        child=serializers.FileField(
            allow_empty_file=True,
            error_messages={"invalid": gettext_lazy("Send files in a multipart/form-data request.")},
        ),
        required=False,
        default=list,
        help_text="Photos, PDF, office documents or text; size and number limited by the operator's settings.",
    )


def checked_files(uploads: list[Any], scope: Scope) -> list[CheckedFile]:
    """Every file checked with the operator's limits before anything is written; one bad
    file refuses the request (ValidationError naming each file)."""
    if not uploads:
        return []
    # Only a scope with an operator gets here: writes need a membership.
    limits = DeskSettings.for_operator(scope.operator_id or 0)
    try:
        return check_uploads(
            uploads, max_bytes=limits.max_attachment_mb * MB, max_count=limits.max_attachments
        )
    except DjangoValidationError as exc:
        raise ValidationError({"attachments": exc.messages}) from exc


def _form_value(value: Any) -> Any:
    # JSON has booleans; a yes/no question's form speaks "yes"/"no".
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def answered(
    incident_type: IncidentType, site: Site, given: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[Asset]]:
    """The answers through the type's form, as stored on the ticket, and the equipment they
    name; ValidationError keyed by question (`answers.<key>` in the problem)."""
    # The questions are read once for the form and the stored answers (a no-op when the
    # type came with them).
    prefetch_related_objects([incident_type], "fields")
    form = answer_form_class(incident_type, site)(data={k: _form_value(v) for k, v in given.items()})
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(given) - set(form.fields))
    if unknown:
        asked = ", ".join(form.fields) or _("none")
        for key in unknown:
            errors[key] = [
                _("This type asks no such question; its questions are: %(keys)s.") % {"keys": asked}
            ]
    if not form.is_valid():
        errors.update({key: [str(m) for m in messages] for key, messages in form.errors.items()})
    if errors:
        raise ValidationError(errors)
    return answers_from(form, incident_type)


class _Input(OperatorRowsMixin, KnownFieldsMixin, ScopedFieldsMixin, serializers.Serializer):
    @property
    def scope(self) -> Scope:
        scope: Scope = self.context["scope"]
        return scope


class TicketCreateSerializer(_Input):
    site = scoped_id_field(Site, gettext_lazy("No such site."), help_text="Id of the site concerned.")
    incident_type = scoped_id_field(
        IncidentType, _NO_TYPE, help_text="Id of an incident type of the site's catalogue."
    )
    title = serializers.CharField(
        max_length=200, allow_blank=True, help_text="What is wrong, in a few words."
    )
    description = serializers.CharField(max_length=MESSAGE_MAX, required=False, allow_blank=True, default="")
    answers = AnswersField(required=False, default=dict)
    assets = AssetIdsField(required=False, default=list, help_text="Ids of the site's equipment concerned.")
    requester = scoped_id_field(
        User,
        gettext_lazy("No such person."),
        required=False,
        help_text="Operator staff only: the member's person the ticket is declared for (a phone call); "
        "by default, the caller.",
    )
    channel = StrictChoiceField(
        choices=[(c, TicketChannel(c).label) for c in ("api", "phone", "email")],
        default=TicketChannel.API,
        help_text="How the request came in: `phone` and `email` are for the operator's staff entering one.",
    )
    attachments = uploads_field()

    operator_rows = {"incident_type": rows_of_operator(IncidentType, active_only=True)}

    def validate_requester(self, requester: User) -> User:
        if not self.scope.is_operator_staff:
            raise ValidationError(
                _("Only the operator's staff declare for someone else; leave requester out.")
            )
        return requester

    def validate_channel(self, channel: str) -> str:
        if channel != TicketChannel.API and not self.scope.is_operator_staff:
            raise ValidationError(
                _("Only the operator's staff record a request that came by phone or e-mail.")
            )
        return channel

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        site, incident_type = attrs["site"], attrs["incident_type"]
        errors: dict[str, Any] = {}
        answers: list[dict[str, Any]] = []
        named: list[Asset] = []
        # A type the site is not offered has no form to fill: open_ticket refuses the type
        # itself, with the sentence the pages show.
        if is_offered(site, incident_type):
            try:
                answers, named = answered(incident_type, site, attrs["answers"])
            except ValidationError as exc:
                errors["answers"] = exc.detail
        # An id beyond the database's integers names no asset, like any unknown one.
        named_ids = [pk for pk in attrs["assets"] if fits_an_id(pk)]
        visible = Asset.objects.visible_to(self.scope).in_bulk(named_ids)
        # Each id named once, in the order given: `[1799, 1799]` is one unknown asset.
        missing = [str(pk) for pk in dict.fromkeys(attrs["assets"]) if pk not in visible]
        if missing:
            errors["assets"] = [_("No such asset: %(ids)s.") % {"ids": ", ".join(missing)}]
        try:
            files = checked_files(attrs.pop("attachments"), self.scope)
        except ValidationError as exc:
            # checked_files names its field: its detail is a dict, which drf-stubs type
            # as a list or a dict.
            errors.update(exc.detail)  # type: ignore[arg-type]
        if errors:
            raise ValidationError(errors)
        return {
            **attrs,
            "answers": answers,
            "assets": [visible[pk] for pk in attrs["assets"]] + named,
            "files": files,
        }


class MessageSerializer(_Input):
    """A public reply or an internal note, with its files."""

    # The verbs refuse a message of blanks (services.conversation) with this message; the
    # schema says so too (minLength, pattern): it admitted "", and a contract checker took
    # the 400 for a broken API.
    body = serializers.CharField(
        max_length=MESSAGE_MAX,
        trim_whitespace=False,
        error_messages={"blank": gettext_lazy("Write a message.")},
        validators=[RegexValidator(r"\S", message=gettext_lazy("Write a message."))],
        help_text="The message: at least one character other than a space.",
    )
    attachments = uploads_field()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {"body": attrs["body"], "files": checked_files(attrs["attachments"], self.scope)}


class TransitionSerializer(_Input):
    to = TicketStateField(help_text="The state to move the ticket to.")
    note = serializers.CharField(
        max_length=MESSAGE_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="A public reply sent with the change (why it is resolved, what is awaited).",
    )


class AssignSerializer(_Input):
    assignee = scoped_id_field(
        User,
        gettext_lazy("No such person."),
        allow_null=True,
        help_text="Id of someone of the operator's staff; null gives the ticket back to its team's queue.",
    )
    team = scoped_id_field(Team, gettext_lazy("No such team."), required=False, help_text="Id of the team.")


class TicketChangeSerializer(_Input):
    priority = PriorityField(required=False, help_text="1 (critical) to 4 (low).")
    team = scoped_id_field(Team, gettext_lazy("No such team."), required=False, help_text="Id of the team.")
    incident_type = scoped_id_field(
        IncidentType,
        gettext_lazy("No such incident type."),
        required=False,
        help_text="Id of the incident type.",
    )
    category = scoped_id_field(
        Category,
        gettext_lazy("No such category."),
        required=False,
        help_text="Id of the category, when only the category is wrong (a new type brings its own).",
    )

    refused_fields = {
        "state": gettext_lazy("The state changes through POST /api/v1/tickets/{number}/transitions/."),
        "assignee": gettext_lazy("Assign through POST /api/v1/tickets/{number}/assign/."),
        "assets": gettext_lazy("Link equipment through POST /api/v1/tickets/{number}/assets/."),
    }


class LinkAssetSerializer(_Input):
    asset = scoped_id_field(
        Asset, gettext_lazy("No such asset."), help_text="Id of equipment of the ticket's member."
    )


class MergeSerializer(_Input):
    into = serializers.IntegerField(min_value=1, help_text="Number of the ticket that goes on.")

    def validate_into(self, number: int) -> Ticket:
        into = Ticket.objects.visible_to(self.scope).filter(number=number).first()
        if into is None:
            raise ValidationError(_("No such ticket."))
        return into


class NoBodySerializer(_Input):
    """For a write that takes no body: anything sent is refused by name, not ignored."""
