"""Drawing tickets: what is declared each day, where, by whom, with which answers, and the
life of each one (desk_stories.py). Shared by the demo (desk_tickets.py) and by the
benchmarks (bench/), which stream a million tickets through the same draws.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import cache
from typing import Any

from django.utils import formats

from mutualis.lib.search import normalise
from mutualis.servicedesk.answers import YES_NO, plain_decimal
from mutualis.servicedesk.models import FormFieldKind, TicketChannel
from mutualis.servicedesk.models.tickets import TicketState as S

from . import logins
from .desk_calendar import AUDIENCES, audience, days_between, hour_weights, per_day
from .desk_life import Draft, Life, Path
from .desk_stories import Storyteller
from .desk_world import DeskWorld, SiteRef, TypeRef
from .draw import PARIS
from .plan import apportion

DUPLICATE_SHARE = 0.015  # incidents declared twice (two people, or once by phone and once online)
OPTIONAL_ANSWERED = 0.6
# How people reach the desk: the portal, a phone call the desk types in, an email.
PORTAL, PHONE_CALL = 0.80, 0.92
# What the demo logins must find when they log in (the state each ticket is left in).
TECHNICIAN_SHOWS = (S.ASSIGNED, S.IN_PROGRESS, S.WAITING_MEMBER, S.WAITING_THIRD_PARTY)
PRINCIPAL_SHOWS = (S.NEW, S.WAITING_MEMBER, S.RESOLVED)
TOWN_AGENT_SHOWS = (S.NEW, S.IN_PROGRESS, S.WAITING_MEMBER, S.RESOLVED)


@cache
def _short_date(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


@cache
def _number(value: int) -> tuple[str, str]:
    """A number as servicedesk.answers stores it: for machines, then for people."""
    number = plain_decimal(Decimal(value))
    return number, formats.number_format(number)


class TicketGenerator:
    """Run inside `translation.override("fr")`: answers are displayed as the portal shows
    them to French users (dates, numbers, yes/no)."""

    def __init__(self, world: DeskWorld, rng: random.Random, now: dt.datetime) -> None:
        self.world, self.rng, self.now = world, rng, now
        self.story = Storyteller(world, rng, now, favourite=world.emails.get(logins.TECHNICIAN))
        self.hours = {name: hour_weights(name) for name in AUDIENCES}
        self.yes_no = {value: str(label) for value, label in YES_NO}

    def days(self, start: dt.date, end: dt.date, count: int) -> Iterator[tuple[dt.date, list[Draft]]]:
        """`count` incidents declared from `start` to the day before `end`, day by day,
        each audience (schools, offices, round-the-clock sites) with its own seasons."""
        cells = self.world.cells
        shares = apportion(count, [cells[name].total for name in AUDIENCES])
        days = days_between(start, end)
        counts = {name: per_day(share, days, name) for name, share in zip(AUDIENCES, shares, strict=True)}
        for index, day in enumerate(days):
            drafts: list[Draft] = []
            for name in AUDIENCES:
                wanted = counts[name][index]
                if wanted:
                    pairs = self.rng.choices(cells[name].pairs, cum_weights=cells[name].cumulative, k=wanted)
                    drafts += [self.draft(site, kind, self.moment(day, name)) for site, kind in pairs]
            drafts.sort(key=lambda d: d.created_at)
            for position in range(1, len(drafts)):
                if self.rng.random() < DUPLICATE_SHARE:
                    original = drafts[self.rng.randrange(position)]
                    if original.created_at < drafts[position].created_at:
                        drafts[position] = self.duplicate(original, drafts[position].created_at)
            yield day, drafts

    def moment(self, day: dt.date, audience_name: str) -> dt.datetime:
        hours, cumulative = self.hours[audience_name]
        hour = self.rng.choices(hours, cum_weights=cumulative)[0]
        second = self.rng.randrange(3600)
        return dt.datetime(day.year, day.month, day.day, hour, second // 60, second % 60, tzinfo=PARIS)

    def draft(
        self, site: SiteRef, incident_type: TypeRef, created_at: dt.datetime, requester: int | None = None
    ) -> Draft:
        rng, world = self.rng, self.world
        spec = incident_type.spec
        people = world.requesters.get(site.pk)
        roll = rng.random()
        desk = rng.choice(world.desk_agents) if world.desk_agents else None
        if requester is not None or people:
            requester = requester if requester is not None else rng.choice(people or [])
            channel = (
                TicketChannel.WEB
                if roll < PORTAL
                else TicketChannel.PHONE
                if roll < PHONE_CALL
                else TicketChannel.EMAIL
            )
            creator, by_member = (desk if channel == TicketChannel.PHONE else requester), True
        else:
            # Nobody at the member uses the portal: the desk types in what they phoned or
            # emailed, and as services.open_ticket does, the desk agent is the requester.
            channel = TicketChannel.PHONE if roll < 0.8 else TicketChannel.EMAIL
            requester, creator, by_member = desk, desk, False
        assets = []
        candidates = site.assets.get(incident_type.asset_type, []) if incident_type.asset_type else []
        if candidates and (spec.asset_required or rng.random() < 0.7):
            count = 1
            if spec.max_assets > 1 and rng.random() < 0.3:
                count = min(len(candidates), rng.randint(2, spec.max_assets))
            assets = rng.sample(candidates, count)
        title = rng.choice(spec.titles)
        if assets and rng.random() < 0.25:
            title = f"{title} – {assets[0].tag}"
        return Draft(
            site=site,
            incident_type=incident_type,
            created_at=created_at,
            requester=requester,
            creator=creator,
            by_member=by_member,
            channel=channel,
            priority=incident_type.priority,
            assets=assets,
            title=title,
            description=rng.choice(spec.details),
            answers=self.answers(incident_type, created_at.date(), assets),
        )

    def duplicate(self, original: Draft, created_at: dt.datetime) -> Draft:
        """The same incident declared again a little later, often by someone else."""
        twin = self.draft(original.site, original.incident_type, created_at)
        twin.assets = list(original.assets)
        twin.answers = self.answers(original.incident_type, created_at.date(), twin.assets)
        twin.duplicate_of = original
        return twin

    def answers(self, incident_type: TypeRef, day: dt.date, assets: list[Any]) -> list[dict[str, Any]]:
        """The form's answers as servicedesk.answers.answers_from stores them."""
        rng = self.rng
        stored = []
        for question in incident_type.fields:
            spec = question.spec
            if spec is None or (not question.required and rng.random() >= OPTIONAL_ANSWERED):
                continue
            kind = question.kind
            value: Any
            if kind == FormFieldKind.DATE:
                since = day - dt.timedelta(days=rng.randint(0, 6))
                value, display = since.isoformat(), _short_date(since)
            elif kind == FormFieldKind.YES_NO:
                value = "yes" if rng.random() < spec.yes else "no"
                display = self.yes_no[value]
            elif kind == FormFieldKind.NUMBER:
                value, display = _number(rng.randint(*spec.numbers))
            elif kind == FormFieldKind.CHOICE:
                value = display = rng.choice(question.choices)
            elif kind == FormFieldKind.MULTIPLE_CHOICE:
                value = rng.sample(question.choices, rng.randint(1, len(question.choices)))
                display = ", ".join(value)
            elif kind == FormFieldKind.ASSET:
                if not assets:
                    continue
                value, display = assets[0].pk, f"{assets[0].tag} ({assets[0].type_name})"
            elif spec.samples:
                value = display = rng.choice(spec.samples)
            else:
                continue
            stored.append(
                {
                    "key": question.key,
                    "label": question.label,
                    "kind": kind,
                    "value": value,
                    "display": display,
                }
            )
        return stored

    def showcase(self) -> list[Draft]:
        """A few recent tickets so that each demo login finds the desk alive: the
        technician's in every open state, the principal's and the Versailles agent's."""
        world, rng = self.world, self.rng
        pairs = [pair for name in AUDIENCES for pair in world.cells[name].pairs]
        wanted: list[tuple[list[tuple[SiteRef, TypeRef]], str, int | None, int | None]] = []
        technician = world.emails.get(logins.TECHNICIAN)
        if technician is not None:
            handled = [
                (site, kind)
                for site, kind in pairs
                if world.requesters.get(site.pk)
                and technician in self._members(self.story.team_for(site, kind))
                and self.story.team_for(site, kind) != self.story.desk_team
            ]
            wanted += [(handled, stop, None, technician) for stop in TECHNICIAN_SHOWS]
        for email, shows in (
            (logins.VERSAILLES_PRINCIPAL, PRINCIPAL_SHOWS),
            (logins.VERSAILLES_AGENT, TOWN_AGENT_SHOWS),
        ):
            person = world.emails.get(email)
            theirs = [(site, kind) for site, kind in pairs if person in world.requesters.get(site.pk, [])]
            wanted += [(theirs, stop, person, None) for stop in shows]
        drafts = []
        for candidates, stop, requester, assignee in wanted:
            if not candidates:
                continue
            site, kind = rng.choice(candidates)
            days_back = 1 if stop == S.NEW else rng.randint(4, 9)
            created = self.moment(self.now.date() - dt.timedelta(days=days_back), audience(site.kind))
            draft = self.draft(site, kind, created, requester=requester)
            draft.stop_at, draft.assignee = stop, assignee
            drafts.append(draft)
        return drafts

    def _members(self, team_id: int | None) -> list[int]:
        team = self.world.teams.get(team_id or 0)
        return team.members if team else []

    def live(
        self, drafts: list[Draft], first_number: int, extra_notes: Callable[[Draft], int] | None = None
    ) -> list[Life]:
        """Number the drafts in the order they were declared and draw their lives."""
        drafts.sort(key=lambda d: d.created_at)
        paths: dict[int, Path] = {}
        for offset, draft in enumerate(drafts):
            draft.number = first_number + offset
        for draft in drafts:
            original = paths.get(id(draft.duplicate_of)) if draft.duplicate_of is not None else None
            path = self.story.merge(draft, original) if original is not None else None
            if path is None:
                path = self.story.path(draft, extra_notes(draft) if extra_notes else 0)
                if draft.stop_at:
                    _fit(path, self.now)
            paths[id(draft)] = path
        return [self.story.finish(paths[id(draft)]) for draft in drafts]


def _fit(path: Path, now: dt.datetime) -> None:
    """Move a demo login's ticket back in time when its life would end after `now`."""
    last = max([e[0] for e in path.events] + [n[0] for n in path.notes])
    if last < now:
        return
    shift = last - now + dt.timedelta(hours=1)
    path.events = [(e[0] - shift, *e[1:]) for e in path.events]
    path.notes = [(n[0] - shift, *n[1:]) for n in path.notes]
    path.draft.created_at -= shift


def search_texts(life: Life) -> tuple[str, str]:
    """services.records.refresh_search's texts for the ticket: public text and internal notes."""
    draft = life.draft
    answers = " ".join(str(a.get("display", "")) for a in draft.answers)
    public = [body for _at, _author, body, internal, _channel, _responds in life.notes if not internal]
    internal = [body for _at, _author, body, internal, _channel, _responds in life.notes if internal]
    text = " ".join([str(draft.number), draft.title, draft.description, answers, *public])
    return normalise(text), normalise(" ".join(internal))
