"""The demo's tickets: the last two years of the service desk at the operator's volume,
written in bulk with their timelines, search texts and the operator's ticket counter.

`services.open_ticket` and the other verbs write one ticket in a dozen queries; at 15,000
tickets and 150,000 timeline lines that is minutes. Here the same rows come out of
desk_stories.py (which follows the verbs' rules) and go in with a few hundred inserts;
tests check the result against the verbs (life cycle, first response, search text).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Q
from django.utils import translation

from mutualis.registry.models import Operator
from mutualis.servicedesk.models import (
    Attachment,
    CatalogueOverride,
    Category,
    Comment,
    DeskSettings,
    FormField,
    IncidentType,
    ReplyTemplate,
    Team,
    Ticket,
    TicketCounter,
    TicketEvent,
)

from .context import DemoContext
from .desk_calendar import periods, ticket_volumes
from .desk_generator import TicketGenerator, search_texts
from .desk_life import Life
from .desk_service_levels import DemoClocks, reset_service_levels
from .desk_world import DeskWorld
from .draw import PARIS
from .progress import Progress

WRITE_CHUNK = 2000


@dataclass
class DeskSummary:
    catalogue: dict[str, int]
    tickets_per_year: dict[str, int]  # "12 months to 2026-03-14" -> count
    states: dict[str, int]
    comments: int
    internal_notes: int
    events: int


def build_tickets(ctx: DemoContext) -> int:
    """Draw and write the demo's tickets; return how many."""
    world = DeskWorld.load(ctx.operator)
    now = dt.datetime.combine(ctx.today, dt.time(0), tzinfo=PARIS)
    with translation.override("fr"):
        generator = TicketGenerator(world, ctx.rng, now)
        showcase = generator.showcase()
        drafts = []
        spans = periods(ctx.today, ticket_volumes(ctx.plan.scale))
        for index, (start, end, count) in enumerate(spans):
            # The logins' tickets are recent: they count in the last year's volume.
            wanted = max(0, count - len(showcase)) if index == len(spans) - 1 else count
            for _day, batch in generator.days(start, end, wanted):
                drafts += batch
        drafts += showcase
        lives = generator.live(drafts, first_number=1)
    ctx.progress.say(f"Tickets drawn: {len(lives):,} over {len(spans)} years")
    write_lives(ctx.operator, lives, ctx.progress, DemoClocks.load(ctx.operator, now))
    return len(lives)


def write_lives(
    operator: Operator, lives: list[Life], progress: Progress, clocks: DemoClocks | None = None
) -> None:
    """Tickets, then their equipment, events and comments, then the counter and, on
    PostgreSQL, the search vectors in one UPDATE."""
    pks: dict[int, int] = {}
    total = len(lives)
    progress.count("Tickets", 0, total)
    for start in range(0, total, WRITE_CHUNK):
        chunk = lives[start : start + WRITE_CHUNK]
        rows = [_ticket(operator, life, clocks) for life in chunk]
        Ticket.objects.bulk_create(rows, batch_size=500)
        pks.update((id(life.draft), row.pk) for life, row in zip(chunk, rows, strict=True))
        progress.count("Tickets", start + len(chunk), total)
    merged = [
        Ticket(pk=pks[id(life.draft)], merged_into_id=pks[id(life.merged_into)])
        for life in lives
        if life.merged_into is not None
    ]
    Ticket.objects.bulk_update(merged, ["merged_into"], batch_size=500)
    through = Ticket.assets.through
    links = [
        through(ticket_id=pks[id(life.draft)], asset_id=asset.pk)
        for life in lives
        for asset in life.draft.assets
    ]
    through.objects.bulk_create(links, batch_size=1000)
    events = [
        TicketEvent(
            ticket_id=pks[id(life.draft)],
            at=at,
            actor_id=actor,
            kind=kind,
            old_value=old,
            new_value=new,
            old_label=old_label,
            new_label=new_label,
        )
        for life in lives
        for at, kind, actor, old, new, old_label, new_label, _responds in life.events
    ]
    _bulk(TicketEvent, events, "Events", progress)
    comments = [
        Comment(
            ticket_id=pks[id(life.draft)],
            author_id=author,
            body=body,
            internal=internal,
            channel=channel,
            created_at=at,
        )
        for life in lives
        for at, author, body, internal, channel, _responds in life.notes
    ]
    _bulk(Comment, comments, "Comments", progress)
    if clocks is not None:
        progress.say(f"Missed deadlines: {clocks.write_breaches(pks):,}")
    last = max((life.draft.number for life in lives), default=0)
    TicketCounter.objects.update_or_create(operator=operator, defaults={"last": last})
    if connection.vendor == "postgresql":
        # The same vectors as mutualis.lib.search.vector_of, computed by the server in one
        # pass rather than sent row by row.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE servicedesk_ticket SET search_vector = to_tsvector('french', search_text), "
                "search_vector_internal = to_tsvector('french', search_internal) WHERE operator_id = %s",
                [operator.pk],
            )
        progress.say("Search vectors")


def _bulk(model: type[TicketEvent] | type[Comment], rows: list[Any], stage: str, progress: Progress) -> None:
    for start in range(0, len(rows), WRITE_CHUNK * 5):
        model.objects.bulk_create(rows[start : start + WRITE_CHUNK * 5], batch_size=1000)
        progress.count(stage, min(start + WRITE_CHUNK * 5, len(rows)), len(rows))


def _ticket(operator: Operator, life: Life, clocks: DemoClocks | None = None) -> Ticket:
    draft = life.draft
    kind = draft.incident_type
    public, internal = search_texts(life)
    return Ticket(
        operator=operator,
        number=draft.number,
        member_id=draft.site.member_id,
        site_id=draft.site.pk,
        incident_type_id=kind.pk,
        category_id=kind.category_id,
        title=draft.title,
        description=draft.description,
        answers=draft.answers,
        priority=life.priority,
        state=life.state,
        team_id=life.team_id,
        assignee_id=life.assignee_id,
        requester_id=draft.requester,
        channel=draft.channel,
        created_at=draft.created_at,
        updated_at=life.updated_at,
        first_response_at=life.first_response_at,
        resolved_at=life.resolved_at,
        closed_at=life.closed_at,
        search_text=public,
        search_internal=internal,
        **(clocks.fields(life) if clocks is not None else {}),
    )


def reset_desk(operator: Operator) -> None:
    """Delete the operator's tickets (and their files), catalogue, reply templates, teams and
    settings."""
    tickets = Ticket.objects.filter(operator=operator)
    for attachment in Attachment.objects.filter(ticket__operator=operator):
        attachment.file.delete(save=False)
    Attachment.objects.filter(ticket__operator=operator).delete()
    TicketEvent.objects.filter(ticket__operator=operator).delete()
    Comment.objects.filter(ticket__operator=operator).delete()
    Ticket.assets.through.objects.filter(ticket__operator=operator).delete()
    tickets.exclude(merged_into=None).update(merged_into=None)
    tickets.delete()
    reset_service_levels(operator)
    TicketCounter.objects.filter(operator=operator).delete()
    CatalogueOverride.objects.filter(incident_type__operator=operator).delete()
    FormField.objects.filter(incident_type__operator=operator).delete()
    IncidentType.objects.filter(operator=operator).delete()
    categories = Category.objects.filter(operator=operator)
    categories.exclude(parent=None).delete()
    categories.delete()
    ReplyTemplate.objects.filter(operator=operator).delete()
    Team.objects.filter(operator=operator).delete()
    DeskSettings.objects.filter(operator=operator).delete()


def summarise_desk(operator: Operator, today: dt.date) -> DeskSummary:
    tickets = Ticket.objects.filter(operator=operator).order_by()
    volumes = {}
    for start, end, _count in periods(today, ticket_volumes(1.0)):
        label = f"{start.isoformat()} – {(end - dt.timedelta(days=1)).isoformat()}"
        volumes[label] = tickets.filter(created_at__date__gte=start, created_at__date__lt=end).count()
    states = dict(Ticket._meta.get_field("state").flatchoices)
    counts = Counter(
        {str(states[row["state"]]): row["n"] for row in tickets.values("state").annotate(n=Count("id"))}
    )
    comments = Comment.objects.filter(ticket__operator=operator).aggregate(
        all=Count("id"), internal=Count("id", filter=Q(internal=True))
    )
    return DeskSummary(
        catalogue={
            "teams": Team.objects.filter(operator=operator).count(),
            "categories": Category.objects.filter(operator=operator).count(),
            "incident types": IncidentType.objects.filter(operator=operator).count(),
            "questions": FormField.objects.filter(incident_type__operator=operator).count(),
            "member exceptions": CatalogueOverride.objects.filter(incident_type__operator=operator).count(),
            "reply templates": ReplyTemplate.objects.filter(operator=operator).count(),
        },
        tickets_per_year=volumes,
        states=dict(counts.most_common()),
        comments=comments["all"],
        internal_notes=comments["internal"],
        events=TicketEvent.objects.filter(ticket__operator=operator).count(),
    )
