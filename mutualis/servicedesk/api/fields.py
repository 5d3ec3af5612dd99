"""The service desk's choices, one field class each so that the schema names each once
(`TicketState`, `Priority`, `TicketChannel`; see schema.py) wherever it appears."""

from __future__ import annotations

from typing import Any

from mutualis.registry.api.fields import StrictChoiceField

from ..models import Priority, TicketChannel, TicketState


class TicketStateField(StrictChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=TicketState.choices, **kwargs)


class PriorityField(StrictChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Priority.choices, **kwargs)


class TicketChannelField(StrictChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=TicketChannel.choices, **kwargs)
