"""Exports name a choice as the pages do, in the reader's language (`tabular.choice`, which
translates the labels once per language instead of once per row), from plain values or
from model instances."""

from __future__ import annotations

import pytest
from django.utils import translation

from mutualis.lib.tabular import choice
from mutualis.registry.models import Asset, AssetStatus
from mutualis.servicedesk.models import Priority, Ticket, TicketChannel, TicketState


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_label_is_the_one_get_display_gives(language: str) -> None:
    state, priority = choice("", Ticket, "state").value, choice("", Ticket, "priority").value
    channel, status = choice("", Ticket, "channel").value, choice("", Asset, "status").value
    with translation.override(language):
        for value in TicketState.values:
            shown = Ticket(state=value).get_state_display()
            assert state({"state": value}) == state(Ticket(state=value)) == shown
        for number in Priority.values:
            assert priority({"priority": number}) == Ticket(priority=number).get_priority_display()
        for value in TicketChannel.values:
            assert channel({"channel": value}) == Ticket(channel=value).get_channel_display()
        for value in AssetStatus.values:
            assert status({"status": value}) == Asset(status=value).get_status_display()


def test_each_language_gets_its_own_labels_and_unknown_values_show_as_they_are() -> None:
    state = choice("", Ticket, "state").value
    with translation.override("fr"):
        french = state({"state": TicketState.NEW})
    with translation.override("en"):
        english = state({"state": TicketState.NEW})
        assert state({"state": "archived"}) == "archived"
        assert state({"state": None}) == ""
    assert english == "new"
    assert french != english
