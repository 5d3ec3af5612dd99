"""Keeping `TicketFact` (the narrow copies of the tickets the heavy panels read) equal to
the tickets.

One SELECT over the ticket table defines a fact row (`_source`); it serves both the
refresh of a few tickets and the rebuild of them all, written as `INSERT … SELECT` so the
database copies the rows without any passing through Python. When rows are refreshed:

- a ticket saved through the ORM (declared by `open_ticket`, or by a test's factory, or
  in the admin): `post_save` of Ticket;
- a ticket changed by a verb, which writes with one UPDATE (`servicedesk.services.records.
  touch`, which calls `ticket_changed`): signals do not see an UPDATE, so the verb says so;
- a reopening recorded (`resolved → in progress`): `post_save` of TicketEvent;
- a ticket deleted: the row goes with it (Django's cascade of the one-to-one key).

All of these run in the verb's transaction: a figure never sees a change the desk has not
committed, nor misses one it has. A bulk load that writes the tables with COPY or
`bulk_create` (the demo's and the bench's loaders) calls `rebuild()` afterwards, which is
also `mutualis insights_rollups --rebuild`; `differences()` counts the tickets whose copy
differs (`--check`), in one set-based query.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from django.db import connections, transaction
from django.db.models import Exists, QuerySet
from django.db.models.functions import TruncDate
from django.db.models.signals import post_save

from mutualis.servicedesk.models import Ticket, TicketEvent, TicketEventKind, TicketState

from .durations import Seconds
from .measures import reopened_events
from .models import TicketFact

# The fact row's columns, in the order of `_source`'s SELECT.
COLUMNS = (
    "ticket_id",
    "operator_id",
    "member_id",
    "site_id",
    "category_id",
    "team_id",
    "merged_into_id",
    "state",
    "created_at",
    "first_response_at",
    "resolved_at",
    "take_charge_due",
    "resolve_due",
    "created_day",
    "take_charge_seconds",
    "resolve_seconds",
    "reopened",
)
# The ticket fields a fact row copies: a change of only others (the search text, the
# warnings' bookkeeping, the priority alone, `updated_at`) does not touch the copy.
COPIED_FIELDS = frozenset({*(c.removesuffix("_id") for c in COLUMNS[1:7]), *COLUMNS[1:13]})


def _source(tickets: QuerySet[Ticket]) -> QuerySet[Any]:
    """The copies of `tickets`, as a SELECT of COLUMNS. The day is taken in the current
    time zone, which is always settings.TIME_ZONE (nothing activates another: the copies
    are read only then, filters.copies_for_values)."""
    return tickets.annotate(
        day=TruncDate("created_at"),
        take_charge_secs=Seconds("first_response_at", "created_at"),
        resolve_secs=Seconds("resolved_at", "created_at"),
        was_reopened=Exists(reopened_events()),
    ).values_list("pk", *COLUMNS[1:-4], "day", "take_charge_secs", "resolve_secs", "was_reopened")


def _copy(tickets: QuerySet[Ticket], using: str) -> int:
    sql, params = _source(tickets).query.get_compiler(using=using).as_sql()
    connection = connections[using]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in COLUMNS)
    with connection.cursor() as cursor:
        # Our table and column names, and the SQL Django compiled with its parameters apart.
        cursor.execute(f"INSERT INTO {quote(TicketFact._meta.db_table)} ({columns}) {sql}", params)
        return int(cursor.rowcount)


def refresh(ticket_ids: Iterable[int], *, using: str = "default") -> None:
    """Copy these tickets again (a deleted one loses its row)."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return
    with transaction.atomic(using=using):
        TicketFact.objects.using(using).filter(ticket_id__in=ids).delete()
        _copy(Ticket.objects.using(using).filter(pk__in=ids).order_by(), using)


def ticket_changed(ticket_id: int, fields: Collection[str]) -> None:
    """A verb's UPDATE of these fields of a ticket (servicedesk.services.records.touch)."""
    if COPIED_FIELDS.intersection(fields):
        refresh([ticket_id])


def rebuild(*, using: str = "default") -> int:
    """Every ticket copied again, in one statement, in order of declaration (so a period's
    rows lie together on disk); idempotent. Returns the number of rows."""
    connection = connections[using]
    table = connection.ops.quote_name(TicketFact._meta.db_table)
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {table}")
            else:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - our table name
        count = _copy(Ticket.objects.using(using).order_by("created_at", "pk"), using)
    if connection.vendor == "postgresql" and connection.get_autocommit():
        # Fresh statistics for the planner, and the visibility map for index-only scans.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return count


def differences(*, using: str = "default") -> int:
    """Tickets whose copy is missing, stale or left over (0 when the copies are exact)."""
    connection = connections[using]
    source_sql, params = (
        _source(Ticket.objects.using(using).order_by()).query.get_compiler(using=using).as_sql()
    )
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in COLUMNS)
    copies = f"SELECT {columns} FROM {quote(TicketFact._meta.db_table)}"  # noqa: S608 - our names
    sql = (
        f"SELECT COUNT(*) FROM (SELECT * FROM ({source_sql}) AS s EXCEPT {copies}) AS a"  # noqa: S608
        f" UNION ALL SELECT COUNT(*) FROM ({copies} EXCEPT SELECT * FROM ({source_sql}) AS s) AS b"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *params])
        return sum(int(row[0]) for row in cursor.fetchall())


# ---------------------------------------------------------------- signals (apps.ready)


def _ticket_saved(
    sender: type[Ticket], instance: Ticket, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    using = kwargs.get("using") or "default"
    if created:
        # A new ticket has no copy yet: the INSERT alone (a declaration's one statement here,
        # where a refresh takes four: savepoint, DELETE, INSERT, release).
        _copy(Ticket.objects.using(using).filter(pk=instance.pk).order_by(), using)
    elif update_fields is None or COPIED_FIELDS.intersection(update_fields):
        refresh([instance.pk], using=using)


def _is_reopening(event: TicketEvent) -> bool:
    return (
        event.kind == TicketEventKind.STATE
        and event.old_value == TicketState.RESOLVED
        and event.new_value == TicketState.IN_PROGRESS
    )


def _event_changed(sender: type[TicketEvent], instance: TicketEvent, **kwargs: Any) -> None:
    if _is_reopening(instance):
        refresh([instance.ticket_id], using=kwargs.get("using") or "default")


def connect() -> None:
    post_save.connect(_ticket_saved, sender=Ticket, dispatch_uid="insights_ticket_facts_ticket")
    post_save.connect(_event_changed, sender=TicketEvent, dispatch_uid="insights_ticket_facts_event")
