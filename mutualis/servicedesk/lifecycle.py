"""The ticket life cycle, declared once and enforced by the verbs in `services`.

    new ──assign──▶ assigned ──take──▶ in progress ◀──▶ waiting for the member
     │                 │                   │       ◀──▶ waiting for a third party
     └──────────────── any open state ─────┴──▶ resolved ──▶ closed
                                                   │
      open states ──▶ cancelled                    └──reopen (within the delay)──▶ in progress

Operator staff move tickets along every arrow. Members may only cancel their own new
ticket, reopen a resolved one within the operator's delay, and, by replying, hand a
ticket waiting for them back to the operator.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models.tickets import TicketState as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset(
        {S.ASSIGNED, S.IN_PROGRESS, S.WAITING_MEMBER, S.WAITING_THIRD_PARTY, S.RESOLVED, S.CANCELLED}
    ),
    S.ASSIGNED: frozenset(
        {S.NEW, S.IN_PROGRESS, S.WAITING_MEMBER, S.WAITING_THIRD_PARTY, S.RESOLVED, S.CANCELLED}
    ),
    S.IN_PROGRESS: frozenset({S.ASSIGNED, S.WAITING_MEMBER, S.WAITING_THIRD_PARTY, S.RESOLVED, S.CANCELLED}),
    S.WAITING_MEMBER: frozenset({S.IN_PROGRESS, S.RESOLVED, S.CANCELLED}),
    S.WAITING_THIRD_PARTY: frozenset({S.IN_PROGRESS, S.RESOLVED, S.CANCELLED}),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

# What a member's user may do themselves (the rest is the operator's).
MEMBER_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (S.NEW, S.CANCELLED),
        (S.RESOLVED, S.IN_PROGRESS),  # reopening
        (S.WAITING_MEMBER, S.IN_PROGRESS),  # by replying
    }
)


class IllegalTransition(ValidationError):  # noqa: N818 - the domain term; it is a ValidationError
    """A state change the life cycle, or the person's role, does not allow."""


def label(state: str) -> str:
    return str(S(state).label)


def check_transition(current: str, target: str) -> None:
    if target not in S.values:
        raise IllegalTransition(
            _("%(state)s is not a ticket state.") % {"state": target}, code="unknown_state"
        )
    if target == current:
        raise IllegalTransition(
            _("The ticket is already %(state)s.") % {"state": label(current)}, code="same_state"
        )
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(label(s) for s in S.values if s in TRANSITIONS[current]) or _("none: it is final")
        raise IllegalTransition(
            _("A ticket cannot go from “%(current)s” to “%(target)s” (possible: %(allowed)s).")
            % {"current": label(current), "target": label(target), "allowed": allowed},
            code="illegal_transition",
        )


def allowed_targets(current: str, *, staff: bool) -> list[str]:
    """The states a person may move a ticket to from `current`, in the life cycle's order."""
    return [
        s for s in S.values if s in TRANSITIONS[current] and (staff or (current, s) in MEMBER_TRANSITIONS)
    ]
