"""The satisfaction verb: valid values, the states a ticket may be rated in, who may rate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from mutualis.people.models import User
from mutualis.people.roles import Role
from mutualis.servicedesk import services
from mutualis.servicedesk.models import (
    RatingChannel,
    SatisfactionRating,
    Ticket,
    TicketEventKind,
    TicketState,
)
from mutualis.servicedesk.satisfaction import RatingRefused, rate
from tests.conftest import Cast
from tests.factories import MembershipFactory

from .conftest import Desk
from .factories import TeamFactory
from .pages import broken_screen, camera

pytestmark = pytest.mark.django_db


def resolved(cast: Cast, desk: Desk, **kwargs: object) -> Ticket:
    ticket = broken_screen(cast, desk, **kwargs)  # type: ignore[arg-type]
    services.transition(ticket=ticket, to=TicketState.RESOLVED, by=desk.tess, as_staff=True)
    ticket.refresh_from_db()
    return ticket


def close(ticket: Ticket, desk: Desk) -> None:
    services.transition(ticket=ticket, to=TicketState.CLOSED, by=desk.tess, as_staff=True)
    ticket.refresh_from_db()


def refusal_of(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(exc.value.messages)


def test_the_requester_rates_a_resolved_ticket_and_the_timeline_says_so(cast: Cast, desk: Desk) -> None:
    ticket = resolved(cast, desk)
    before = ticket.updated_at
    rating = rate(ticket=ticket, rating=4, comment="  Rapide, merci.  ", by=cast.alice, channel="web")
    assert (rating.rating, rating.comment, rating.rated_by, rating.channel) == (
        4,
        "Rapide, merci.",
        cast.alice,
        RatingChannel.WEB,
    )
    assert rating.team == desk.team  # the team that resolved it
    event = ticket.events.get(kind=TicketEventKind.RATED)
    assert (event.old_value, event.new_value, event.actor, event.public) == ("", "4", cast.alice, True)
    ticket.refresh_from_db()
    assert ticket.updated_at == event.at > before


@pytest.mark.parametrize("value", [0, 6, -1, 10, True, None, "abc", "", 4.5, "²", "٣", " 3 x"])
def test_only_whole_ratings_from_1_to_5_are_taken(cast: Cast, desk: Desk, value: object) -> None:
    ticket = resolved(cast, desk)
    with pytest.raises(ValidationError) as refused:
        rate(ticket=ticket, rating=value, by=cast.alice)  # type: ignore[arg-type]
    assert list(refused.value.error_dict) == ["rating"]
    assert refused.value.error_dict["rating"][0].code in ("invalid", "out_of_range")
    assert not SatisfactionRating.objects.exists()
    assert not ticket.events.filter(kind=TicketEventKind.RATED).exists()


@pytest.mark.parametrize("value", [1, 2, 3, 4, 5, "5"])
def test_every_rating_from_1_to_5_is_taken(cast: Cast, desk: Desk, value: int) -> None:
    rating = rate(ticket=resolved(cast, desk), rating=value, by=cast.alice)
    assert rating.rating == int(value)


def test_a_comment_is_kept_within_its_limit(cast: Cast, desk: Desk) -> None:
    ticket = resolved(cast, desk)
    with pytest.raises(ValidationError) as refused:
        rate(ticket=ticket, rating=3, comment="x" * 2001, by=cast.alice)
    assert refused.value.error_dict["comment"][0].code == "too_long"
    assert "2001" in refusal_of(refused)  # says how long it is
    assert rate(ticket=ticket, rating=3, comment="x" * 2000, by=cast.alice).comment == "x" * 2000


def test_an_unknown_channel_is_refused(cast: Cast, desk: Desk) -> None:
    with pytest.raises(ValidationError) as refused:
        rate(ticket=resolved(cast, desk), rating=3, by=cast.alice, channel="pigeon")
    assert list(refused.value.message_dict) == ["channel"]


def test_the_database_refuses_a_rating_out_of_range(cast: Cast, desk: Desk) -> None:
    ticket = resolved(cast, desk)
    with pytest.raises(IntegrityError), transaction.atomic():
        SatisfactionRating.objects.create(ticket=ticket, rating=6, channel=RatingChannel.WEB)


def test_not_before_resolution(cast: Cast, desk: Desk) -> None:
    ticket = broken_screen(cast, desk)
    services.take(ticket=ticket, by=desk.tess)
    with pytest.raises(RatingRefused) as refused:
        rate(ticket=ticket, rating=5, by=cast.alice)
    assert refused.value.code == "not_now"


def test_never_a_cancelled_ticket(cast: Cast, desk: Desk) -> None:
    ticket = broken_screen(cast, desk)
    services.transition(ticket=ticket, to=TicketState.CANCELLED, by=cast.alice, as_staff=False)
    with pytest.raises(RatingRefused) as refused:
        rate(ticket=ticket, rating=5, by=cast.alice)
    assert refused.value.code == "not_now"
    assert not SatisfactionRating.objects.exists()


def test_never_a_duplicate_merged_into_another(cast: Cast, desk: Desk) -> None:
    duplicate, kept = resolved(cast, desk), broken_screen(cast, desk, title="Le même")
    services.merge(duplicate=duplicate, into=kept, by=cast.olivia)
    with pytest.raises(RatingRefused):
        rate(ticket=duplicate, rating=5, by=cast.alice)


def test_changed_while_resolved_and_final_once_closed(cast: Cast, desk: Desk) -> None:
    ticket = resolved(cast, desk)
    rate(ticket=ticket, rating=2, comment="Lent", by=cast.alice)
    rate(ticket=ticket, rating=5, comment="Finalement parfait", by=cast.alice, channel="email_link")
    rating = SatisfactionRating.objects.get()
    assert (rating.rating, rating.comment, rating.channel) == (5, "Finalement parfait", "email_link")
    events = list(ticket.events.filter(kind=TicketEventKind.RATED).values_list("old_value", "new_value"))
    assert events == [("", "2"), ("2", "5")]
    close(ticket, desk)
    with pytest.raises(RatingRefused) as refused:
        rate(ticket=ticket, rating=1, by=cast.alice)
    assert refused.value.code == "not_now"
    assert SatisfactionRating.objects.get().rating == 5


def test_a_ticket_closed_without_rating_may_be_rated_for_30_days(cast: Cast, desk: Desk) -> None:
    recent, old = resolved(cast, desk), resolved(cast, desk, title="Ancien")
    close(recent, desk)
    close(old, desk)
    assert rate(ticket=recent, rating=4, by=cast.alice).rating == 4
    Ticket.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(days=31))
    with pytest.raises(RatingRefused):
        rate(ticket=old, rating=4, by=cast.alice)


def test_a_reopened_ticket_keeps_its_rating_until_resolved_again(cast: Cast, desk: Desk) -> None:
    ticket = resolved(cast, desk)
    rate(ticket=ticket, rating=2, by=cast.alice)
    services.transition(ticket=ticket, to=TicketState.IN_PROGRESS, by=cast.alice, as_staff=False)
    with pytest.raises(RatingRefused):
        rate(ticket=ticket, rating=3, by=cast.alice)
    assert SatisfactionRating.objects.get().rating == 2
    services.transition(ticket=ticket, to=TicketState.RESOLVED, by=desk.tess, as_staff=True)
    assert rate(ticket=ticket, rating=5, by=cast.alice).rating == 5
    assert SatisfactionRating.objects.count() == 1


def _member_user(cast: Cast, role: str, email: str, *, member: object = None) -> User:
    return MembershipFactory(member=member or cast.member_a, role=role, user__email=email).user


def test_who_may_rate(cast: Cast, desk: Desk) -> None:
    ticket = resolved(cast, desk)  # declared by alice at the collège
    colleague = _member_user(cast, Role.MEMBER_AGENT, "colleague@versailles.example")
    college_contact = MembershipFactory(
        member=cast.member_a, role=Role.SITE_CONTACT, user__email="principal@college.example"
    )
    college_contact.sites.add(desk.college)
    station_contact = MembershipFactory(
        member=cast.member_a, role=Role.SITE_CONTACT, user__email="chef@caserne.example"
    )
    station_contact.sites.add(desk.station)
    for who in (cast.bob, cast.charlie, cast.olivia, desk.tess, cast.oscar, station_contact.user, None):
        with pytest.raises(RatingRefused) as refused:
            rate(ticket=ticket, rating=1, by=who)
        assert refused.value.code == "not_allowed", who
    assert not SatisfactionRating.objects.exists()
    for who in (cast.alice, colleague, college_contact.user):
        assert rate(ticket=ticket, rating=4, by=who).rated_by == who


def test_a_requester_who_left_the_member_still_answers_for_their_own_request(cast: Cast, desk: Desk) -> None:
    ticket = resolved(cast, desk)
    cast.alice.memberships.update(is_active=False)
    assert rate(ticket=ticket, rating=3, by=cast.alice).rated_by == cast.alice


def test_the_operators_staff_never_rate_a_ticket_they_declared_for_a_member(cast: Cast, desk: Desk) -> None:
    ticket = services.open_ticket(
        site=desk.station, incident_type=desk.camera_offline, title="Appel", by=cast.olivia
    )
    assert ticket.requester == cast.olivia
    services.transition(ticket=ticket, to=TicketState.RESOLVED, by=desk.tess, as_staff=True)
    with pytest.raises(RatingRefused):
        rate(ticket=ticket, rating=5, by=cast.olivia)


def test_the_team_is_the_one_that_resolved_even_if_moved_since(cast: Cast, desk: Desk) -> None:
    ticket = resolved(cast, desk)
    video = TeamFactory(operator=cast.operator, name="Vidéo", code="video")
    services.route_to_team(ticket=ticket, team=video, by=cast.olivia)  # the API allows it
    assert rate(ticket=ticket, rating=4, by=cast.alice).team == desk.team
    other = camera(cast, desk)
    services.route_to_team(ticket=other, team=video, by=cast.olivia)
    services.transition(ticket=other, to=TicketState.RESOLVED, by=desk.tess, as_staff=True)
    assert rate(ticket=other, rating=4, by=cast.alice).team == video


def test_a_rating_is_named_by_its_tickets_number(cast: Cast, desk: Desk) -> None:
    """Its row's id told nobody anything (« Évaluation de satisfaction: 3: 2/5 » on a team's
    delete page): a rating is named by the ticket's number, as people know it."""
    ticket = resolved(cast, desk)
    rating = rate(ticket=ticket, rating=2, by=cast.alice, channel="web")
    assert str(SatisfactionRating.objects.get(pk=rating.pk)) == f"n° {ticket.number}, 2/5"
