"""Exports name a choice as the pages do, in the reader's language (`choice_label`, which
translates the labels once per language instead of once per row)."""

from __future__ import annotations

import pytest
from django.utils import translation

from mutualis.lib.tabular import choice_label
from mutualis.registry.models import Asset, AssetStatus
from mutualis.servicedesk.models import Priority, Ticket, TicketChannel, TicketState


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_label_is_the_one_get_display_gives(language: str) -> None:
    state, priority, channel = choice_label("state"), choice_label("priority"), choice_label("channel")
    status = choice_label("status")
    with translation.override(language):
        for value in TicketState.values:
            assert state(Ticket(state=value)) == Ticket(state=value).get_state_display()
        for number in Priority.values:
            assert priority(Ticket(priority=number)) == Ticket(priority=number).get_priority_display()
        for value in TicketChannel.values:
            assert channel(Ticket(channel=value)) == Ticket(channel=value).get_channel_display()
        for value in AssetStatus.values:
            assert status(Asset(status=value)) == Asset(status=value).get_status_display()


def test_each_language_gets_its_own_labels_and_unknown_values_show_as_they_are() -> None:
    state = choice_label("state")
    with translation.override("fr"):
        french = state(Ticket(state=TicketState.NEW))
    with translation.override("en"):
        english = state(Ticket(state=TicketState.NEW))
        assert state(Ticket(state="archived")) == "archived"
    assert english == "new"
    assert french != english
