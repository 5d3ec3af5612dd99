"""A demo ticket's life as data: the declared incident (`Draft`), the whole drawn timeline
(`Path`), and the ticket as it stands at the reference moment (`Life`), cut from the path
with the fields the verbs of servicedesk.services would have written by then."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from mutualis.servicedesk.models import TicketEventKind
from mutualis.servicedesk.models.tickets import TicketState as S

from .desk_world import AssetRef, SiteRef, TypeRef

# at, kind, actor, old value, new value, old label, new label, counts as first response
Event = tuple[dt.datetime, str, int | None, str, str, str, str, bool]
# at, author, body, internal, channel, counts as first response
Note = tuple[dt.datetime, int | None, str, bool, str, bool]


@dataclass
class Draft:
    """A declared incident, before its life is drawn."""

    site: SiteRef
    incident_type: TypeRef
    created_at: dt.datetime
    requester: int | None
    creator: int | None  # who entered it: the requester, or the desk agent on the phone
    by_member: bool  # the requester is a person of the member (not the desk on their behalf)
    channel: str
    priority: int
    assets: list[AssetRef]
    title: str
    description: str
    answers: list[dict[str, Any]]
    number: int = 0
    duplicate_of: Draft | None = None
    # For the demo logins: the state the ticket must be left in, and by whom it is handled.
    stop_at: str = ""
    assignee: int | None = None


@dataclass
class Path:
    draft: Draft
    events: list[Event]
    notes: list[Note]
    team_id: int | None
    merged_into: Draft | None = None


@dataclass
class Life:
    """A ticket as it stands at the reference moment, with its timeline up to then."""

    draft: Draft
    state: str
    team_id: int | None
    assignee_id: int | None
    priority: int
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    updated_at: dt.datetime
    events: list[Event] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    merged_into: Draft | None = None


def cut(path: Path, now: dt.datetime) -> Life:
    """The ticket at `now`: its timeline until then, and the fields the verbs would have
    written by then (state, assignee, team, priority, first response, resolution, closing)."""
    draft = path.draft
    events = sorted((e for e in path.events if e[0] < now), key=lambda e: e[0])
    notes = sorted((n for n in path.notes if n[0] < now), key=lambda n: n[0])
    life = Life(
        draft=draft,
        state=S.NEW,
        team_id=draft.incident_type.team_id,
        assignee_id=None,
        priority=draft.priority,
        first_response_at=None,
        resolved_at=None,
        closed_at=None,
        updated_at=draft.created_at,
        events=events,
        notes=notes,
    )
    for at, kind, _actor, old, new, _old_label, _new_label, responds in events:
        if kind == TicketEventKind.STATE:
            if new == S.RESOLVED:
                life.resolved_at = at
            elif new == S.CLOSED:
                life.closed_at = at
            elif old == S.RESOLVED:
                life.resolved_at = None  # reopened
            if new == S.NEW:
                life.assignee_id = None
            life.state = new
        elif kind == TicketEventKind.ASSIGNEE:
            life.assignee_id = int(new) if new else None
        elif kind == TicketEventKind.TEAM:
            life.team_id = int(new)
        elif kind == TicketEventKind.PRIORITY:
            life.priority = int(new)
        elif kind == TicketEventKind.MERGED_INTO:
            life.merged_into = path.merged_into
        if responds and life.first_response_at is None:
            life.first_response_at = at
        life.updated_at = max(life.updated_at, at)
    for at, _author, _body, _internal, _channel, responds in notes:
        if responds and (life.first_response_at is None or at < life.first_response_at):
            life.first_response_at = at
        life.updated_at = max(life.updated_at, at)
    return life


def state_at(events: list[Event], moment: dt.datetime) -> str:
    """The state a timeline reaches before `moment`."""
    state: str = S.NEW
    for at, kind, _actor, _old, new, *_rest in sorted(events, key=lambda e: e[0]):
        if at >= moment:
            break
        if kind == TicketEventKind.STATE:
            state = new
    return state
