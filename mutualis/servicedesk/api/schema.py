"""What the OpenAPI schema says about the ticket API beyond what drf-spectacular infers:
one component per choice set, the multipart variants of the bodies that carry files, and
what 409 and 415 mean here. Descriptions are documentation, in English."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from mutualis.lib.problems import PROBLEM_CONTENT_TYPE
from mutualis.registry.api import schema as registry_schema

from ..models import Priority, TicketChannel, TicketState
from .inputs import MessageSerializer, OperatorRowsMixin, TicketCreateSerializer

registry_schema.INTERNAL_BASES.append(OperatorRowsMixin)


class _ChoicesScheme(OpenApiSerializerFieldExtension):
    component: str
    json_type = "string"
    choices: Any  # a TextChoices or IntegerChoices class
    lead: str

    def get_name(self) -> str:
        return self.component

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        # The labels here, at generation: built at import, they were French in every schema.
        labels = "; ".join(f"`{value}`: {label}" for value, label in self.choices.choices)
        return {"type": self.json_type, "enum": self.choices.values, "description": f"{self.lead}: {labels}."}


class TicketStateScheme(_ChoicesScheme):
    target_class = "mutualis.servicedesk.api.fields.TicketStateField"
    component = "TicketState"
    choices = TicketState
    lead = "The ticket's life cycle"


class PriorityScheme(_ChoicesScheme):
    target_class = "mutualis.servicedesk.api.fields.PriorityField"
    component = "Priority"
    json_type = "integer"
    choices = Priority
    lead = "1 is the most urgent"


class TicketChannelScheme(_ChoicesScheme):
    target_class = "mutualis.servicedesk.api.fields.TicketChannelField"
    component = "TicketChannel"
    choices = TicketChannel
    lead = "How the request came in"


def _json_text(help_text: str) -> Any:
    return serializers.CharField(required=False, help_text=help_text)


# The bodies as documented. The views parse both media types with the serializers of
# `inputs`; these only say what each media type carries. DRF drops a field set to None.
class DeclarationSerializer(TicketCreateSerializer):
    """A declaration as JSON (files need multipart/form-data)."""

    attachments = None


class DeclarationFormSerializer(TicketCreateSerializer):
    """A declaration as multipart/form-data: the same fields, `answers` and `assets` as JSON
    text, and the files under `attachments` (the field repeated per file)."""

    answers = _json_text('The answers as JSON text, e.g. {"since": "2025-03-01", "usable": "no"}.')
    assets = _json_text("The asset ids as JSON text, e.g. [12].")


class MessageBodySerializer(MessageSerializer):
    """A reply or a note as JSON (files need multipart/form-data)."""

    attachments = None


class MessageFormSerializer(MessageSerializer):
    """A reply or a note as multipart/form-data, with files under `attachments`."""


DECLARATION = {"application/json": DeclarationSerializer, "multipart/form-data": DeclarationFormSerializer}
MESSAGE = {"application/json": MessageBodySerializer, "multipart/form-data": MessageFormSerializer}


_DESCRIPTIONS = {
    409: "The ticket's current state refuses the change: a transition the life cycle (or the caller's side "
    "of it) does not allow, a reply to a closed ticket, assigning or merging a closed one. `detail` says "
    "what to do instead.",
    415: "The body is neither `application/json` nor, where files may come along, `multipart/form-data`.",
}


def problems(*statuses: int) -> dict[tuple[int, str], OpenApiResponse]:
    """The registry's problem responses, with what 409 and 415 mean for tickets."""
    responses = registry_schema.problems(*statuses)
    for status, description in _DESCRIPTIONS.items():
        if status in statuses:
            responses[(status, PROBLEM_CONTENT_TYPE)] = OpenApiResponse(
                registry_schema.ProblemSerializer, description=description
            )
    return responses


def list_problems(*statuses: int) -> dict[tuple[int, str], OpenApiResponse]:
    """The registry's problems of a paged list (400, and 404 for an altered cursor)."""
    return registry_schema.list_problems(*statuses)
