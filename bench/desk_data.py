"""A million tickets with five million replies and their timelines, drawn by the demo's
generator (mutualis.demo.desk_generator: the same sites, catalogue per kind of site,
seasons, life cycle and texts) over several years, and written with COPY.

Tickets go first to an unlogged staging table, then into the ticket table in one
INSERT … SELECT that computes both search vectors with `to_tsvector('french', …)`, the
expression `mutualis.lib.search.vector_of` stores: every row is written once, with its
vectors, instead of written and then updated.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

import psycopg
from django.utils import translation

from mutualis.demo.builder import demo_operator
from mutualis.demo.desk_calendar import spread_over_years
from mutualis.demo.desk_generator import TicketGenerator, search_texts
from mutualis.demo.desk_life import Draft, Life
from mutualis.demo.desk_world import DeskWorld
from mutualis.demo.draw import PARIS
from mutualis.insights import ticket_facts
from mutualis.registry.models import Operator

from .config import Config
from .database import connect
from .loading import NULL, CopyStream, Deferred, maybe, text

Say = Callable[[str], None]
TABLES = ("servicedesk_ticket", "servicedesk_ticketevent", "servicedesk_comment", "servicedesk_ticket_assets")
STAGE = "bench_ticket_stage"
TICKET_COLUMNS = (
    "id", "operator_id", "number", "member_id", "site_id", "incident_type_id", "category_id", "title",
    "description", "answers", "priority", "state", "team_id", "assignee_id", "requester_id", "channel",
    "merged_into_id", "created_at", "updated_at", "first_response_at", "resolved_at", "closed_at",
    "search_text", "search_internal", "sla_paused_time",
)  # fmt: skip
# Bench tickets carry no service-level deadlines (nullable); the clock never stood still.
EVENT_COLUMNS = (
    "id",
    "ticket_id",
    "at",
    "actor_id",
    "kind",
    "old_value",
    "new_value",
    "old_label",
    "new_label",
    "public",
)
COMMENT_COLUMNS = ("id", "ticket_id", "author_id", "body", "internal", "channel", "created_at")
LINK_COLUMNS = ("id", "ticket_id", "asset_id")
# Replies the generator writes on its own, per ticket, before its extra follow-ups; only a
# first guess, corrected day by day from what was actually written.
NATURAL_REPLIES = 2.5
REPORT_EVERY = 50_000


@dataclass
class Loaded:
    tickets: int
    replies: int
    events: int
    links: int
    seconds: dict[str, float]


class Ids:
    """The next primary key of each table: rows are written with their ids, so that events
    and replies can name their ticket before the ticket reaches its table."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self.next: dict[str, int] = {}
        for table in TABLES:
            row = connection.execute(f"SELECT COALESCE(max(id), 0) FROM {table}").fetchone()  # noqa: S608 - our names
            self.next[table] = int(row[0]) + 1 if row else 1

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


def load(config: Config, say: Say) -> Loaded:
    operator = demo_operator()
    if operator is None:
        raise SystemExit("No demo operator in the bench database: run without --reuse.")

    def url_connect() -> psycopg.Connection:
        return connect(config.database_url)

    seconds: dict[str, float] = {}
    with connect(config.database_url) as connection:
        existing, existing_replies, last_number = connection.execute(
            "SELECT (SELECT count(*) FROM servicedesk_ticket), (SELECT count(*) FROM servicedesk_comment), "
            "(SELECT COALESCE(max(last), 0) FROM servicedesk_ticketcounter WHERE operator_id = %s)",
            [operator.pk],
        ).fetchone() or (0, 0, 0)
        wanted = max(0, config.tickets - existing)
        replies = max(0, config.replies - existing_replies)
        say(f"Tickets: {existing:,} from the demo, {wanted:,} to add with about {replies:,} replies")
        ids = Ids(connection)
        deferred = Deferred(connection, TABLES)
        deferred.drop()
        connection.execute(f"DROP TABLE IF EXISTS {STAGE}")
        connection.execute(f"CREATE UNLOGGED TABLE {STAGE} (LIKE servicedesk_ticket INCLUDING DEFAULTS)")
        connection.commit()
        started = time.monotonic()
        counts = _generate(config, operator, ids, int(last_number), wanted, replies, url_connect, say)
        seconds["generate_and_copy"] = time.monotonic() - started
        started = time.monotonic()
        names = ", ".join(TICKET_COLUMNS)
        connection.execute(
            f"INSERT INTO servicedesk_ticket ({names}, search_vector, search_vector_internal) "  # noqa: S608
            f"SELECT {names}, to_tsvector('french', search_text), to_tsvector('french', search_internal) "
            f"FROM {STAGE}"
        )
        connection.execute(f"DROP TABLE {STAGE}")
        connection.commit()
        seconds["insert_with_vectors"] = time.monotonic() - started
        say(f"Tickets moved in with their search vectors ({seconds['insert_with_vectors']:.0f} s)")
        seconds["indexes_and_constraints"] = deferred.restore(say)
        for table in TABLES:
            connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(max(id), 1) FROM {table}))"  # noqa: S608
            )
        connection.execute(
            "UPDATE servicedesk_ticketcounter SET last = (SELECT max(number) FROM servicedesk_ticket "
            "WHERE operator_id = %s) WHERE operator_id = %s",
            [operator.pk, operator.pk],
        )
        connection.commit()
    started = time.monotonic()
    with connect(config.database_url, autocommit=True) as maintenance:
        # What autovacuum would do in the following hours: statistics for the planner and a
        # visibility map (index-only scans), so the first measurements see a settled table.
        for table in TABLES:
            maintenance.execute(f"VACUUM (ANALYZE) {table}")
        maintenance.execute("ANALYZE")
    seconds["vacuum_analyze"] = time.monotonic() - started
    started = time.monotonic()
    ticket_facts.rebuild()  # the copies the dashboard's panels read (issue 5): COPY bypassed the verbs
    seconds["insights_ticket_facts"] = time.monotonic() - started
    return Loaded(seconds=seconds, **counts)


def _generate(
    config: Config,
    operator: Operator,
    ids: Ids,
    last_number: int,
    wanted: int,
    replies: int,
    url_connect: Callable[[], psycopg.Connection],
    say: Say,
) -> dict[str, int]:
    world = DeskWorld.load(operator)
    now = dt.datetime.combine(config.today, dt.time(0), tzinfo=PARIS)
    # Another seed than the demo's: the bench's tickets are not the demo's drawn again.
    generator = TicketGenerator(world, random.Random(config.seed + 1), now)
    per_ticket = replies / wanted if wanted else 0.0
    made = written_replies = events = links = 0
    natural = NATURAL_REPLIES
    number = last_number + 1
    started = time.monotonic()
    with ExitStack() as stack, translation.override("fr"):
        streams = {
            "ticket": CopyStream(stack, url_connect, STAGE, TICKET_COLUMNS),
            "event": CopyStream(stack, url_connect, "servicedesk_ticketevent", EVENT_COLUMNS),
            "comment": CopyStream(stack, url_connect, "servicedesk_comment", COMMENT_COLUMNS),
            "link": CopyStream(stack, url_connect, "servicedesk_ticket_assets", LINK_COLUMNS),
        }
        years = config.years
        for index, count in enumerate(spread_over_years(wanted, years)):
            end = config.today - dt.timedelta(days=365 * (years - 1 - index))
            for _day, drafts in generator.days(end - dt.timedelta(days=365), end, count):
                if not drafts:
                    continue
                # Follow-ups that bring the replies to their total: the day's shortfall,
                # shared out over the day's tickets.
                short = (
                    round(per_ticket * (made + len(drafts))) - written_replies - round(natural * len(drafts))
                )
                extra = {
                    id(d): max(0, short) // len(drafts) + (i < max(0, short) % len(drafts))
                    for i, d in enumerate(drafts)
                }
                lives = generator.live(drafts, number, extra_notes=_by_draft(extra))
                number += len(lives)
                day_replies = _write(lives, operator.pk, ids, streams)
                natural = max(0.0, (day_replies - sum(extra.values())) / len(lives)) * 0.2 + natural * 0.8
                written_replies += day_replies
                events += sum(len(life.events) for life in lives)
                links += sum(len(life.draft.assets) for life in lives)
                previous, made = made, made + len(lives)
                if made // REPORT_EVERY != previous // REPORT_EVERY or made == wanted:
                    rate = made / max(time.monotonic() - started, 1e-9)
                    say(
                        f"  {made:,}/{wanted:,} tickets, {written_replies:,} replies, {events:,} events ({rate:,.0f} tickets/s)"
                    )
        for stream in streams.values():
            stream.flush()
    return {"tickets": made, "replies": written_replies, "events": events, "links": links}


def _by_draft(counts: dict[int, int]) -> Callable[[Draft], int]:
    return lambda draft: counts.get(id(draft), 0)


def _when(moment: dt.datetime | None) -> str:
    return NULL if moment is None else moment.isoformat()


def _write(lives: list[Life], operator_id: int, ids: Ids, streams: dict[str, CopyStream]) -> int:
    """Rows of the day's tickets; the number of replies written."""
    pk_of: dict[int, int] = {}
    for life in lives:
        pk_of[id(life.draft)] = ids.take("servicedesk_ticket")
    replies = 0
    for life in lives:
        draft = life.draft
        pk = pk_of[id(draft)]
        public, internal = search_texts(life)
        merged = pk_of.get(id(life.merged_into)) if life.merged_into is not None else None
        kind = draft.incident_type
        streams["ticket"].add(
            "\t".join((
                str(pk), str(operator_id), str(draft.number), str(draft.site.member_id), str(draft.site.pk),
                str(kind.pk), str(kind.category_id), text(draft.title), text(draft.description),
                text(json.dumps(draft.answers, ensure_ascii=False)), str(life.priority), life.state,
                maybe(life.team_id), maybe(life.assignee_id), maybe(draft.requester), draft.channel, maybe(merged),
                draft.created_at.isoformat(), life.updated_at.isoformat(), _when(life.first_response_at),
                _when(life.resolved_at), _when(life.closed_at), text(public), text(internal), "0",
            )) + "\n"
        )  # fmt: skip
        for at, kind_name, actor, old, new, old_label, new_label, _responds in life.events:
            streams["event"].add(
                f"{ids.take('servicedesk_ticketevent')}\t{pk}\t{at.isoformat()}\t{maybe(actor)}\t{kind_name}\t"
                f"{text(old)}\t{text(new)}\t{text(old_label)}\t{text(new_label)}\tt\n"
            )
        for at, author, body, is_internal, channel, _responds in life.notes:
            streams["comment"].add(
                f"{ids.take('servicedesk_comment')}\t{pk}\t{maybe(author)}\t{text(body)}\t"
                f"{'t' if is_internal else 'f'}\t{channel}\t{at.isoformat()}\n"
            )
        replies += len(life.notes)
        for asset in draft.assets:
            streams["link"].add(f"{ids.take('servicedesk_ticket_assets')}\t{pk}\t{asset.pk}\n")
    return replies
