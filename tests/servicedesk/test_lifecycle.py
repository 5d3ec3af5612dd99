"""The ticket life cycle: explicit, recorded, refused with a clear message when illegal."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from mutualis.servicedesk import services
from mutualis.servicedesk.lifecycle import MEMBER_TRANSITIONS, TRANSITIONS, IllegalTransition, allowed_targets
from mutualis.servicedesk.models import DeskSettings, Ticket, TicketEvent, TicketState
from tests.conftest import Cast

from .conftest import Desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(cast: Cast, desk: Desk) -> Ticket:
    return services.open_ticket(
        site=desk.station, incident_type=desk.camera_offline, title="Caméra du parking", by=cast.alice
    )


def states(ticket: Ticket) -> list[tuple[str, str]]:
    return list(TicketEvent.objects.filter(ticket=ticket, kind="state").values_list("old_value", "new_value"))


def test_every_state_is_declared_and_final_states_are_final() -> None:
    assert set(TRANSITIONS) == set(TicketState.values)
    assert TRANSITIONS[TicketState.CLOSED] == TRANSITIONS[TicketState.CANCELLED] == frozenset()
    assert all(b in TRANSITIONS[a] for a, b in MEMBER_TRANSITIONS)


def test_a_technician_takes_works_and_resolves(cast: Cast, desk: Desk, ticket: Ticket) -> None:
    services.take(ticket=ticket, by=desk.tess)
    ticket.refresh_from_db()
    assert (ticket.state, ticket.assignee) == ("in_progress", desk.tess)
    assert ticket.first_response_at is not None
    services.transition(ticket=ticket, to="waiting_third_party", by=desk.tess, as_staff=True)
    services.transition(ticket=ticket, to="in_progress", by=desk.tess, as_staff=True)
    services.transition(ticket=ticket, to="resolved", by=desk.tess, as_staff=True, note="Caméra redémarrée.")
    ticket.refresh_from_db()
    assert ticket.state == "resolved"
    assert ticket.resolved_at is not None
    assert states(ticket) == [
        ("new", "assigned"),
        ("assigned", "in_progress"),
        ("in_progress", "waiting_third_party"),
        ("waiting_third_party", "in_progress"),
        ("in_progress", "resolved"),
    ]
    assert ticket.comments.get().body == "Caméra redémarrée."
    assert set(TicketEvent.objects.filter(ticket=ticket, kind="state").values_list("actor", flat=True)) == {
        desk.tess.pk
    }


@pytest.mark.parametrize(
    ("start", "target"), [("closed", "in_progress"), ("new", "closed"), ("resolved", "resolved")]
)
def test_illegal_transitions_are_refused_and_write_nothing(
    ticket: Ticket, desk: Desk, start: str, target: str
) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(state=start)
    before = TicketEvent.objects.count()
    with pytest.raises(IllegalTransition):
        services.transition(ticket=ticket, to=target, by=desk.tess, as_staff=True)
    ticket.refresh_from_db()
    assert ticket.state == start
    assert TicketEvent.objects.count() == before


def test_illegal_transition_message_says_what_is_possible(ticket: Ticket, desk: Desk) -> None:
    with pytest.raises(IllegalTransition) as error:
        services.transition(ticket=ticket, to="closed", by=desk.tess, as_staff=True)
    assert "« nouveau » à « clos »" in error.value.messages[0]
    assert "résolu" in error.value.messages[0]


def test_a_member_cancels_only_their_own_new_ticket(cast: Cast, ticket: Ticket, desk: Desk) -> None:
    with pytest.raises(IllegalTransition, match="Seule la personne qui a déclaré"):
        services.transition(ticket=ticket, to="cancelled", by=cast.bob, as_staff=False)
    services.transition(ticket=ticket, to="cancelled", by=cast.alice, as_staff=False)
    ticket.refresh_from_db()
    assert ticket.state == "cancelled"


def test_a_member_cannot_cancel_once_handling_started(cast: Cast, ticket: Ticket, desk: Desk) -> None:
    services.take(ticket=ticket, by=desk.tess)
    with pytest.raises(IllegalTransition):
        services.transition(ticket=ticket, to="cancelled", by=cast.alice, as_staff=False)


def test_a_member_reopens_within_the_delay_only(cast: Cast, ticket: Ticket, desk: Desk) -> None:
    services.transition(ticket=ticket, to="resolved", by=desk.tess, as_staff=True)
    services.transition(
        ticket=ticket, to="in_progress", by=cast.alice, as_staff=False, note="Toujours en panne."
    )
    ticket.refresh_from_db()
    assert (ticket.state, ticket.resolved_at) == ("in_progress", None)
    services.transition(ticket=ticket, to="resolved", by=desk.tess, as_staff=True)
    delay = DeskSettings.for_operator(cast.operator.pk).reopen_days
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=delay + 1))
    with pytest.raises(IllegalTransition, match="trop longtemps"):
        services.transition(ticket=ticket, to="in_progress", by=cast.alice, as_staff=False)


def test_member_targets_are_a_subset_of_the_staffs(ticket: Ticket) -> None:
    assert allowed_targets("new", staff=False) == ["cancelled"]
    assert "resolved" in allowed_targets("new", staff=True)
    assert allowed_targets("closed", staff=True) == []


def test_assignment_and_unassignment_move_between_new_and_assigned(
    cast: Cast, ticket: Ticket, desk: Desk
) -> None:
    services.assign(ticket=ticket, assignee=desk.tess, by=cast.olivia)
    ticket.refresh_from_db()
    assert ticket.state == "assigned"
    services.assign(ticket=ticket, assignee=None, by=cast.olivia)
    ticket.refresh_from_db()
    assert (ticket.state, ticket.assignee) == ("new", None)
    labels = list(
        TicketEvent.objects.filter(ticket=ticket, kind="assignee").values_list("new_label", flat=True)
    )
    assert labels == [desk.tess.full_name, ""]


def test_only_the_operators_staff_can_be_assigned(cast: Cast, ticket: Ticket) -> None:
    with pytest.raises(Exception, match="personnel de l’opérateur"):
        services.assign(ticket=ticket, assignee=cast.alice, by=cast.olivia)
    with pytest.raises(Exception, match="personnel de l’opérateur"):
        services.assign(ticket=ticket, assignee=cast.oscar, by=cast.olivia)


def test_bulk_assign_names_what_it_skipped(cast: Cast, desk: Desk, ticket: Ticket) -> None:
    closed = services.open_ticket(
        site=desk.station, incident_type=desk.camera_offline, title="Autre", by=cast.alice
    )
    Ticket.objects.filter(pk=closed.pk).update(state="closed")
    done, skipped = services.bulk_assign(
        tickets=Ticket.objects.filter(pk__in=[ticket.pk, closed.pk]),
        assignee=desk.tess,
        by=cast.olivia,
        team=desk.team,
    )
    assert done == 1
    assert skipped == [f"n° {closed.number} à l’état « clos »"]
    ticket.refresh_from_db()
    assert ticket.team == desk.team


def test_priority_and_classification_changes_are_recorded(cast: Cast, ticket: Ticket, desk: Desk) -> None:
    services.change_priority(ticket=ticket, priority=1, by=cast.olivia)
    services.reclassify(ticket=ticket, incident_type=desk.broken_screen, by=cast.olivia)
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.incident_type, ticket.category) == (
        1,
        desk.broken_screen,
        desk.broken_screen.category,
    )
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == ["created", "priority", "incident_type", "category"]


def test_resolved_tickets_close_after_the_delay(cast: Cast, ticket: Ticket, desk: Desk) -> None:
    services.transition(ticket=ticket, to="resolved", by=desk.tess, as_staff=True)
    assert services.close_resolved() == 0
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=30))
    assert services.close_resolved() == 1
    ticket.refresh_from_db()
    assert ticket.state == "closed"


def test_refusals_name_the_state_in_correct_french(cast: Cast, desk: Desk, ticket: Ticket) -> None:
    """ "Une demande clos ne peut pas être attribuée": a state's name is not an adjective
    that agrees with "demande"; the messages name the state as one."""
    other = services.open_ticket(
        site=desk.station, incident_type=desk.camera_offline, title="Caméra du hall", by=cast.alice
    )
    Ticket.objects.filter(pk=ticket.pk).update(state="closed")
    ticket.refresh_from_db()
    with translation.override("fr"):
        with pytest.raises(IllegalTransition) as assigning:
            services.assign(ticket=ticket, assignee=desk.tess, by=cast.olivia)
        with pytest.raises(IllegalTransition) as merging:
            services.merge(duplicate=ticket, into=other, by=cast.olivia)
        with pytest.raises(IllegalTransition) as merging_into:
            services.merge(duplicate=other, into=ticket, by=cast.olivia)
    assert assigning.value.messages == ["Une demande à l’état « clos » ne peut pas être attribuée."]
    assert merging.value.messages == [
        f"Le n° {ticket.number} est à l’état « clos » : il ne peut pas être fusionné."
    ]
    assert merging_into.value.messages == [
        f"Le n° {ticket.number} est à l’état « clos » : fusionnez dans une demande ouverte."
    ]
