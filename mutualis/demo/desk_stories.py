"""The life of a demo ticket, from its declaration to its closing, drawn as the verbs of
servicedesk.services would write it: the same events, in the same order, with the same
effect on first response, resolution and closing times.

A life is drawn whole (a `Path`), then cut at the reference moment: what would happen
later is dropped, so a ticket declared long ago is closed and one declared yesterday is
still new or assigned. Durations depend on the priority (P1 tickets are handled day and
night by the on-call technician; the others in the desk's working hours) and on the type's
usual handling (desk_specs.Handling).
"""

from __future__ import annotations

import datetime as dt
import random

from mutualis.servicedesk.models import Priority, TicketChannel, TicketEventKind
from mutualis.servicedesk.models.tickets import TicketState as S

from .desk_calendar import add_working_minutes, is_working_day, lognormal_minutes
from .desk_life import Draft, Event, Life, Note, Path, cut, state_at
from .desk_specs import DESK_TEAM, FIELD_TEAM, FIELD_TEAM_92
from .desk_texts import say
from .desk_world import DeskWorld, SiteRef, TypeRef

CANCELLED_SHARE = 0.025
REOPENED_SHARE = 0.04
PRIORITY_CHANGED_SHARE = 0.03
UNANSWERED_SHARE = 0.12  # questions the member never answers: resolved after ten days
# The technician login gets a little more than a colleague's share, to fill its queue.
FAVOURITE = 1.5
# How much faster (or slower) each priority moves than a P3.
PACE: dict[int, float] = {
    Priority.CRITICAL: 0.15,
    Priority.HIGH: 0.5,
    Priority.NORMAL: 1.0,
    Priority.LOW: 1.8,
}
WORKING_DAY_MINUTES = 570  # 08:30-18:00
MERGEABLE = frozenset({S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_MEMBER, S.WAITING_THIRD_PARTY, S.RESOLVED})
# The nightly job that closes resolved tickets (services.close_resolved) runs at 02:00.
CLOSING_RUN = dt.time(2, 0)


class Storyteller:
    def __init__(self, world: DeskWorld, rng: random.Random, now: dt.datetime, favourite: int | None) -> None:
        self.world, self.rng, self.now = world, rng, now
        self.favourite = favourite
        by_code = {team.code: team for team in world.teams.values()}
        self.desk_team = by_code[DESK_TEAM].pk if DESK_TEAM in by_code else None
        self.field_78 = by_code[FIELD_TEAM].pk if FIELD_TEAM in by_code else None
        self.field_92 = by_code[FIELD_TEAM_92].pk if FIELD_TEAM_92 in by_code else None
        self.pickers: dict[int, tuple[list[int], list[float]]] = {}

    def team_for(self, site: SiteRef, incident_type: TypeRef) -> int | None:
        """The type's team, or the Hauts-de-Seine field team for a site in the 92."""
        team = incident_type.team_id
        if team == self.field_78 and site.departement == "92" and self.field_92:
            return self.field_92
        return team

    def pick(self, team_id: int | None) -> int | None:
        """A member of the team (the technician login a little more often)."""
        key = team_id or 0
        if key not in self.pickers:
            team = self.world.teams.get(key)
            members = (team.members if team else []) or self.world.desk_agents
            self.pickers[key] = (members, [FAVOURITE if pk == self.favourite else 1.0 for pk in members])
        members, weights = self.pickers[key]
        return self.rng.choices(members, weights=weights)[0] if members else None

    def later(self, moment: dt.datetime, minutes: float, priority: int) -> dt.datetime:
        if priority == Priority.CRITICAL:
            return moment + dt.timedelta(minutes=minutes)
        return add_working_minutes(moment, minutes)

    def member_time(self, moment: dt.datetime, minutes: float) -> dt.datetime:
        """`minutes` later, moved to the next working morning when that falls at night."""
        then = moment + dt.timedelta(minutes=minutes)
        if is_working_day(then.date()) and 8 <= then.hour < 19:
            return then
        day = then.date() + dt.timedelta(days=1 if then.hour >= 8 else 0)
        while not is_working_day(day):
            day += dt.timedelta(days=1)
        minute = self.rng.randint(8 * 60 + 30, 11 * 60)
        return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=moment.tzinfo)

    def path(self, draft: Draft, extra_notes: int = 0) -> Path:
        """The whole life of `draft`, as if nothing stopped it."""
        rng, world = self.rng, self.world
        spec = draft.incident_type.spec
        say_ = lambda moment: say(rng, moment, spec.category)  # noqa: E731 - a short local alias
        t = draft.created_at
        creator, requester = draft.creator, draft.requester
        events: list[Event] = [(t, TicketEventKind.CREATED, creator, "", S.NEW, "", "", False)]
        events += [
            (t, TicketEventKind.ASSET_LINKED, creator, "", str(a.pk), "", a.tag, False) for a in draft.assets
        ]
        notes: list[Note] = []
        path = Path(draft, events, notes, draft.incident_type.team_id)
        if draft.channel == TicketChannel.PHONE and rng.random() < 0.5:
            notes.append((t, creator, say_("phone"), True, TicketChannel.WEB, False))
        stop = draft.stop_at
        if stop == S.NEW:
            return path
        reply_channel = TicketChannel.EMAIL if draft.channel == TicketChannel.EMAIL else TicketChannel.WEB
        if not stop and rng.random() < CANCELLED_SHARE:
            at = self.member_time(t, rng.uniform(5, 300))
            actor = requester if draft.by_member else rng.choice(world.desk_agents)
            events.append((at, TicketEventKind.STATE, actor, S.NEW, S.CANCELLED, "", "", False))
            if rng.random() < 0.6:
                # A note from the desk is a staff reply: it counts as the first response.
                notes.append((at, actor, say_("cancel"), False, reply_channel, not draft.by_member))
            return path
        priority = draft.priority
        pace = PACE.get(priority, 1.0)
        t = self.later(t, pace * lognormal_minutes(rng.random(), 10, 600), priority)
        dispatcher = rng.choice(world.desk_agents) if world.desk_agents else None
        team = self.team_for(draft.site, draft.incident_type)
        if team != path.team_id:
            old, new = world.teams[path.team_id or 0], world.teams[team or 0]  # both exist when they differ
            events.append(
                (t, TicketEventKind.TEAM, dispatcher, str(old.pk), str(new.pk), old.name, new.name, False)
            )
            path.team_id = team
        if not stop and rng.random() < PRIORITY_CHANGED_SHARE:
            changed = (
                2
                if priority == Priority.CRITICAL
                else 3
                if priority == Priority.LOW
                else priority + rng.choice((-1, 1))
            )
            events.append(
                (t, TicketEventKind.PRIORITY, dispatcher, str(priority), str(changed), "", "", False)
            )
            priority, pace = changed, PACE.get(changed, 1.0)
        assignee = draft.assignee or self.pick(team)
        name = world.names.get(assignee or 0, "")
        if team == self.desk_team:  # services.take: the desk agent takes it at once
            events += [
                (t, TicketEventKind.ASSIGNEE, assignee, "", str(assignee), "", name, True),
                (t, TicketEventKind.STATE, assignee, S.NEW, S.ASSIGNED, "", "", True),
                (t, TicketEventKind.STATE, assignee, S.ASSIGNED, S.IN_PROGRESS, "", "", False),
            ]
        else:
            events += [
                (t, TicketEventKind.ASSIGNEE, dispatcher, "", str(assignee), "", name, True),
                (t, TicketEventKind.STATE, dispatcher, S.NEW, S.ASSIGNED, "", "", True),
            ]
            if stop == S.ASSIGNED:
                return path
            t = self.later(t, pace * lognormal_minutes(rng.random(), 15, 900), priority)
            events.append((t, TicketEventKind.STATE, assignee, S.ASSIGNED, S.IN_PROGRESS, "", "", False))
            if rng.random() < 0.65:
                notes.append((t, assignee, say_("take"), False, TicketChannel.WEB, True))
        if stop == S.IN_PROGRESS:
            return path
        handling = spec.handling
        work = pace * lognormal_minutes(
            rng.random(), handling.work_hours[0] * 60, handling.work_hours[1] * 60
        )
        started = t
        if rng.random() < 0.5:
            notes.append(
                (
                    self.later(t, work * 0.1, priority),
                    assignee,
                    say_("diagnosis"),
                    True,
                    TicketChannel.WEB,
                    False,
                )
            )
        t = self.later(t, work * 0.3, priority)
        extras_until = t
        waits_member = stop == S.WAITING_MEMBER or (
            not stop and draft.by_member and rng.random() < handling.waiting_member
        )
        if waits_member:
            events.append(
                (t, TicketEventKind.STATE, assignee, S.IN_PROGRESS, S.WAITING_MEMBER, "", "", False)
            )
            notes.append((t, assignee, say_("question"), False, TicketChannel.WEB, True))
            if stop == S.WAITING_MEMBER:
                return path
            if rng.random() < UNANSWERED_SHARE:
                t = add_working_minutes(t, 10 * WORKING_DAY_MINUTES)
                self._resolve(path, t, assignee, S.WAITING_MEMBER, say_("unanswered"))
                self._extras(path, started, extras_until, extra_notes, assignee)
                return self._close(path, t)
            t = self.member_time(t, lognormal_minutes(rng.random(), 30, 5 * 24 * 60))
            events.append(
                (t, TicketEventKind.STATE, requester, S.WAITING_MEMBER, S.IN_PROGRESS, "", "", False)
            )
            notes.append((t, requester, say_("answer"), False, reply_channel, False))
        if stop == S.WAITING_THIRD_PARTY or (not stop and rng.random() < handling.third_party):
            t = self.later(t, work * 0.2, priority)
            events.append(
                (t, TicketEventKind.STATE, assignee, S.IN_PROGRESS, S.WAITING_THIRD_PARTY, "", "", False)
            )
            notes.append((t, assignee, say_("third"), True, TicketChannel.WEB, False))
            if stop == S.WAITING_THIRD_PARTY:
                return path
            low, high = handling.third_party_days
            t = add_working_minutes(t, lognormal_minutes(rng.random(), low, high) * WORKING_DAY_MINUTES)
            events.append(
                (t, TicketEventKind.STATE, assignee, S.WAITING_THIRD_PARTY, S.IN_PROGRESS, "", "", False)
            )
            if rng.random() < 0.6:
                notes.append((t, assignee, say_("back"), False, TicketChannel.WEB, True))
        t = self.later(t, work * 0.5, priority)
        self._resolve(path, t, assignee, S.IN_PROGRESS, say_("resolution") if rng.random() < 0.95 else "")
        self._extras(path, started, extras_until if waits_member else t, extra_notes, assignee)
        if stop == S.RESOLVED:
            return path
        if draft.by_member and rng.random() < REOPENED_SHARE:
            t = self.member_time(t, lognormal_minutes(rng.random(), 60, world.reopen_days * 24 * 60 * 0.6))
            events.append((t, TicketEventKind.STATE, requester, S.RESOLVED, S.IN_PROGRESS, "", "", False))
            notes.append((t, requester, say_("reopen"), False, reply_channel, False))
            t = self.later(t, work * 0.5, priority)
            self._resolve(path, t, assignee, S.IN_PROGRESS, say_("resolution"))
        return self._close(path, t)

    def _resolve(self, path: Path, at: dt.datetime, by: int | None, current: str, note: str) -> None:
        path.events.append((at, TicketEventKind.STATE, by, current, S.RESOLVED, "", "", False))
        if note:  # services.transition with a note: a public reply with the change
            path.notes.append((at, by, note, False, TicketChannel.WEB, True))

    def _close(self, path: Path, resolved: dt.datetime) -> Path:
        due = resolved + dt.timedelta(days=self.world.close_after_days)
        run = dt.datetime.combine(due.date(), CLOSING_RUN, tzinfo=due.tzinfo)
        if run <= due:
            run += dt.timedelta(days=1)
        path.events.append((run, TicketEventKind.STATE, None, S.RESOLVED, S.CLOSED, "", "", False))
        return path

    def _extras(
        self, path: Path, start: dt.datetime, end: dt.datetime, count: int, assignee: int | None
    ) -> None:
        """`count` more replies while the ticket is in progress (the benchmarks' chattier
        tickets): the technician's updates and the member's questions, in turn."""
        end = min(end, self.now)  # what comes later is cut: the replies must be before
        if count <= 0 or end <= start:
            return
        span = (end - start).total_seconds()
        draft = path.draft
        member = draft.requester if draft.by_member else None
        for index in range(count):
            at = start + dt.timedelta(seconds=span * (index + 1) / (count + 1))
            if index % 2 == 0 or member is None:
                path.notes.append(
                    (at, assignee, say(self.rng, "follow_up", ""), False, TicketChannel.WEB, True)
                )
            else:
                path.notes.append((at, member, say(self.rng, "nudge", ""), False, TicketChannel.WEB, False))

    def merge(self, draft: Draft, original: Path) -> Path | None:
        """The duplicate `draft` merged into `original` at triage, as services.merge does;
        None when the original cannot take it any more (the duplicate lives its own life)."""
        at = self.later(draft.created_at, lognormal_minutes(self.rng.random(), 10, 240), Priority.NORMAL)
        if at >= self.now or state_at(original.events, at) not in MERGEABLE:
            return None
        desk = self.rng.choice(self.world.desk_agents) if self.world.desk_agents else None
        into = original.draft
        creator, created = draft.creator, draft.created_at
        events: list[Event] = [(created, TicketEventKind.CREATED, creator, "", S.NEW, "", "", False)]
        events += [
            (created, TicketEventKind.ASSET_LINKED, creator, "", str(a.pk), "", a.tag, False)
            for a in draft.assets
        ]
        events += [
            (at, TicketEventKind.STATE, desk, S.NEW, S.CLOSED, "", "", False),
            (at, TicketEventKind.MERGED_INTO, desk, "", str(into.number), "", into.title, False),
        ]
        original.events.append(
            (at, TicketEventKind.MERGED_FROM, desk, "", str(draft.number), "", draft.title, False)
        )
        return Path(draft, events, [], draft.incident_type.team_id, merged_into=into)

    def finish(self, path: Path) -> Life:
        """The ticket at the reference moment (desk_life.cut)."""
        return cut(path, self.now)
