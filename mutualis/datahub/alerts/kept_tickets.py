"""How long the open ticket of a deleted sensor's alert is kept (`DeletedSensorTicket`), and
the daily job that forgets the kept tickets no sensor created again can go on with.

A row is kept for a sensor created again under the same id on the same site, which then
goes on with the ticket (`tickets.alert_fired`). It is of no more use, and forgotten, when:

- its ticket (or the one it was merged into) is **closed or cancelled**: final states, no
  sensor will ever go on with it. A **resolved** ticket keeps its row: the member or the
  staff may reopen it (`servicedesk.lifecycle`), and it closes by itself after the
  operator's delay (`servicedesk.close_resolved`), when the next run forgets the row. Until
  then a sensor created again while it is resolved gets a ticket of its own, as before;
- the sensor was deleted longer ago than `DATAHUB_DELETED_SENSOR_TICKET_KEEP_DAYS` (90 by
  default). Why 90: a sensor deleted to be replaced (a faulty unit sent back, a new one
  ordered, delivered and provisioned under the same id) comes back within days or weeks;
  a quarter covers a supplier's delays. Later, the sensor back is a new installation, and
  the ticket left open for months is handled, or forgotten, on its own: its team is better
  served by a ticket with the new readings than by a note at the bottom of an old one.

The lookup applies the same bound (`outlived`), so that what a sensor created again does
never depends on whether the job has run: the job only removes rows the lookup would no
longer use. It drops nothing a sensor could still go on with, so it cannot race a
re-creation into a second ticket: final ticket states never change, and a row whose date
has passed is refused by the lookup too (`test_alerts_race_postgres.py`).

Nothing in the service desk tells the hub when a ticket ends (its verbs know nothing of
the hub, and parts do not talk through signals), so a row of an ended ticket waits for the
next daily run; meanwhile the lookup, which reads the ticket's state, does not use it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mutualis.servicedesk.models import Ticket, TicketState

from ..models import DeletedSensorTicket

logger = logging.getLogger(__name__)

FORGET_TASK = "datahub.forget_deleted_sensor_tickets"

# The states no ticket leaves (servicedesk.lifecycle.TRANSITIONS): a row is forgotten only
# on them, never on "resolved", which may be reopened.
FINAL_STATES = frozenset({TicketState.CLOSED, TicketState.CANCELLED})

# Rows read, judged and deleted per transaction: each page is one short transaction, so
# the job never holds many rows an ingestion batch may want.
FORGET_BATCH = 500


def keep_for() -> timedelta | None:
    """How long after the sensor's deletion its ticket is kept; None: until it ends."""
    days = int(settings.DATAHUB_DELETED_SENSOR_TICKET_KEEP_DAYS)
    return timedelta(days=days) if days > 0 else None


def outlived(deleted_at: datetime, *, at: datetime) -> bool:
    """Whether a sensor deleted at `deleted_at` has been gone too long, at `at`, for one
    created again under its id to go on with the ticket it left."""
    keep = keep_for()
    return keep is not None and at - deleted_at > keep


def forget_spent(*, now: datetime | None = None) -> int:
    """Delete the rows no sensor created again can go on with (above); return how many.

    Every operator's rows, each judged by its own ticket and date only: another tenant's
    row under the same entity id is never read for it. Pages of FORGET_BATCH rows by
    primary key (keyset: the page is read from the primary key's index, bounded however
    many rows there are), and their tickets read by primary key in one more query (then
    one per level of merges, rare). No index of its own: the table holds a row per
    deleted sensor whose ticket is still open, for at most the keep window, read once a
    day; an index on `deleted_at` would cost every deletion a write for no gain.

    Each page is locked (`FOR UPDATE SKIP LOCKED` on PostgreSQL) while it is judged and
    deleted: a row that a sensor being deleted again is replacing, or that the first alert
    of a sensor created again is using, is locked by that transaction and skipped until
    the next run, and the job waits on nobody (no lock order to deadlock with the
    ingestion, which locks entities first)."""
    now = now or timezone.now()
    last = 0
    forgotten = 0
    while True:
        with transaction.atomic():
            page = list(
                DeletedSensorTicket.objects.select_for_update(skip_locked=True)
                .filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", "ticket_id", "deleted_at")[:FORGET_BATCH]
            )
            if not page:
                break
            last = page[-1][0]
            ended = _ended_tickets({ticket_id for _pk, ticket_id, _at in page})
            spent = [
                pk for pk, ticket_id, deleted_at in page if ticket_id in ended or outlived(deleted_at, at=now)
            ]
            if spent:
                forgotten += DeletedSensorTicket.objects.filter(pk__in=spent).delete()[0]
    if forgotten:
        logger.info("Forgot %s ticket(s) kept for deleted sensors.", forgotten)
    return forgotten


def _ended_tickets(ticket_ids: set[int]) -> set[int]:
    """Those of the tickets that are closed or cancelled for good. A ticket merged into
    another (closed by the merge) counts as the one it went into, as for the lookup
    (`tickets._follow`), which goes on with that one."""
    known: dict[int, tuple[str, int | None]] = {}  # id → (state, merged into)
    asked: set[int] = set()
    wanted = set(ticket_ids)
    while wanted:
        asked |= wanted
        for pk, state, merged_into_id in Ticket.objects.filter(pk__in=wanted).values_list(
            "pk", "state", "merged_into_id"
        ):
            known[pk] = (state, merged_into_id)
        wanted = {into for _state, into in known.values() if into is not None} - asked
    return {pk for pk in ticket_ids if _final(pk, known)}


def _final(ticket_id: int, known: dict[int, tuple[str, int | None]]) -> bool:
    seen: set[int] = set()
    current: int | None = ticket_id
    while current is not None and current in known and current not in seen:
        seen.add(current)
        state, merged_into_id = known[current]
        if merged_into_id is None:
            return state in FINAL_STATES
        current = merged_into_id
    return False  # a loop of merges, or a ticket gone: left to the keep window
