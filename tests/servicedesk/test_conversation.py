"""Replies and internal notes; equipment links; merging duplicates."""

import pytest
from django.core.exceptions import ValidationError

from mutualis.servicedesk import services
from mutualis.servicedesk.lifecycle import IllegalTransition
from mutualis.servicedesk.models import Comment, Ticket
from mutualis.servicedesk.selectors import filter_tickets, timeline
from tests.conftest import Cast
from tests.factories import AssetFactory

from .conftest import Desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(cast: Cast, desk: Desk) -> Ticket:
    return services.open_ticket(
        site=desk.station, incident_type=desk.camera_offline, title="Caméra du parking", by=cast.alice
    )


def test_member_reply_hands_a_waiting_ticket_back(cast: Cast, desk: Desk, ticket: Ticket) -> None:
    services.transition(
        ticket=ticket, to="waiting_member", by=desk.tess, as_staff=True, note="Quel parking ?"
    )
    services.reply(ticket=ticket, body="Le parking nord.", by=cast.alice, as_staff=False)
    ticket.refresh_from_db()
    assert ticket.state == "in_progress"


def test_replies_to_closed_or_merged_tickets_are_refused(cast: Cast, desk: Desk, ticket: Ticket) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(state="closed")
    with pytest.raises(IllegalTransition, match="déclarez un nouvel incident"):
        services.reply(ticket=ticket, body="Encore ?", by=cast.alice, as_staff=False)
    assert not ticket.comments.exists()
    with pytest.raises(ValidationError):
        services.reply(ticket=ticket, body="   ", by=cast.alice, as_staff=False)


def test_internal_notes_stay_internal(cast: Cast, desk: Desk, ticket: Ticket) -> None:
    services.add_note(ticket=ticket, body="Le prestataire facture trop cher", by=desk.tess)
    services.reply(ticket=ticket, body="Un technicien passe demain.", by=desk.tess, as_staff=True)
    member_view = timeline(ticket, staff=False)
    staff_view = timeline(ticket, staff=True)
    assert [e.comment.body for e in member_view if e.comment] == ["Un technicien passe demain."]
    assert [e.comment.body for e in staff_view if e.comment] == [
        "Le prestataire facture trop cher",
        "Un technicien passe demain.",
    ]
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None  # the public reply, not the note


def test_search_finds_words_stemmed_and_without_accents_but_not_notes_for_members(
    cast: Cast, desk: Desk, ticket: Ticket
) -> None:
    services.reply(ticket=ticket, body="L'écran de contrôle est éteint.", by=desk.tess, as_staff=True)
    services.add_note(ticket=ticket, body="facturation prestataire", by=desk.tess)
    services.open_ticket(
        site=desk.station, incident_type=desk.camera_offline, title="Autre chose", by=cast.alice
    )
    tickets = Ticket.objects.all()
    assert list(filter_tickets(tickets, {"q": "ecran"}, scope=_scope(cast.alice))) == [ticket]
    assert list(filter_tickets(tickets, {"q": "caméra parking"}, scope=_scope(cast.alice))) == [ticket]
    assert list(filter_tickets(tickets, {"q": "prestataire"}, scope=_scope(cast.alice))) == []
    assert list(filter_tickets(tickets, {"q": "prestataire"}, scope=_scope(cast.olivia))) == [ticket]
    assert list(filter_tickets(tickets, {"q": "parking -caméra"}, scope=_scope(cast.olivia))) == []
    assert list(filter_tickets(tickets, {"q": str(ticket.number)}, scope=_scope(cast.olivia))) == [ticket]


def _scope(user):  # type: ignore[no-untyped-def]
    from mutualis.people.tenancy import resolve_scope

    return resolve_scope(user, None)


def test_equipment_links_stay_within_the_member(cast: Cast, desk: Desk, ticket: Ticket) -> None:
    services.link_asset(ticket=ticket, asset=desk.tablet, by=cast.olivia)
    assert list(ticket.assets.all()) == [desk.tablet]
    foreign = AssetFactory(site=cast.site_b)
    with pytest.raises(ValidationError, match="n’est pas un équipement de Versailles"):
        services.link_asset(ticket=ticket, asset=foreign, by=cast.olivia)
    services.unlink_asset(ticket=ticket, asset=desk.tablet, by=cast.olivia)
    assert not ticket.assets.exists()


def test_merging_a_duplicate(cast: Cast, desk: Desk, ticket: Ticket) -> None:
    duplicate = services.open_ticket(
        site=desk.college,
        incident_type=desk.broken_screen,
        title="Écran",
        by=cast.alice,
        assets=[desk.tablet],
    )
    services.merge(duplicate=duplicate, into=ticket, by=cast.olivia)
    duplicate.refresh_from_db()
    assert (duplicate.state, duplicate.merged_into) == ("closed", ticket)
    assert list(ticket.assets.all()) == [desk.tablet]
    assert ticket.events.filter(kind="merged_from", new_value=str(duplicate.number)).exists()
    with pytest.raises(IllegalTransition, match=f"fusionnée avec le n° {ticket.number}"):
        services.reply(ticket=duplicate, body="Et alors ?", by=cast.alice, as_staff=False)
    with pytest.raises(ValidationError):
        services.merge(duplicate=ticket, into=ticket, by=cast.olivia)


def test_merging_across_members_is_refused(cast: Cast, desk: Desk, ticket: Ticket) -> None:
    from tests.factories import SiteFactory

    station_b = SiteFactory(member=cast.member_b, kind=desk.station_kind)
    other = services.open_ticket(
        site=station_b, incident_type=desk.camera_offline, title="Caméra", by=cast.charlie
    )
    with pytest.raises(ValidationError, match="même adhérent"):
        services.merge(duplicate=other, into=ticket, by=cast.olivia)


def test_a_comment_is_named_by_its_tickets_number(cast: Cast, desk: Desk, ticket: Ticket) -> None:
    """Named by the row's id, a comment read « 3: Un technicien… » in the back office."""
    comment = services.reply(ticket=ticket, body="Un technicien passe demain.", by=desk.tess, as_staff=True)
    assert str(Comment.objects.get(pk=comment.pk)) == f"n° {ticket.number} : Un technicien passe demain."
