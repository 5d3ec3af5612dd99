"""Recurring failures: the assets, sites and models with repeated incidents of the same kind.

"Repeated" means at least `min_count` incidents of the same incident type (or of the same
category) less than `window_days` days apart, anywhere in the period looked at: a *sliding*
window. For each incident (the anchor), the database counts the incidents of the same thing
and kind declared from the anchor to `window_days` × 24 h later, with a window function
(`COUNT(*) OVER (PARTITION BY thing, kind ORDER BY time RANGE BETWEEN CURRENT ROW AND …
FOLLOWING)`); the largest of those counts is the group's peak (the busiest window always
starts at an incident, so this is the exact maximum over all windows), kept when
`HAVING MAX(…) >= min_count`. One sort of the incidents, no ticket looked at in Python
(docs/insights-method.md, "Recurring failures and failure rates").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models
from django.db.models import Exists, F, FloatField, Func, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from mutualis.registry.models import Asset, AssetModel, Site
from mutualis.servicedesk.models import Category, IncidentType, Ticket

# What counts as an incident is the ticket list's filter "counted" too: a row's link lists
# exactly the tickets it counted.
from mutualis.servicedesk.selectors import incidents


class Grouping(models.TextChoices):
    ASSET = "asset", _("equipment")
    SITE = "site", _("sites")
    MODEL = "model", _("models")


class Sameness(models.TextChoices):
    INCIDENT_TYPE = "incident_type", _("same incident type")
    CATEGORY = "category", _("same category")


# The ticket field (or path through the equipment) that names the thing a group is about.
GROUP_FIELDS = {Grouping.ASSET: "assets", Grouping.SITE: "site", Grouping.MODEL: "assets__model"}

DEFAULT_WINDOW_DAYS = 90
DEFAULT_MIN_COUNT = 3
# The export names a row's latest tickets, this many at most (the page links to the list).
TICKETS_PER_ROW = 20


class _Seconds(Func):
    """An instant as a number of seconds, what a RANGE frame with an offset can order by
    (PostgreSQL 11+, SQLite 3.28+). Only differences matter, so the epochs may differ."""

    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(julianday(%(expressions)s) * 86400.0)", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)", **extra)


def _instant(value: Any) -> datetime:
    # SQLite hands back the text Django stored (UTC), PostgreSQL an aware datetime.
    if isinstance(value, str):
        parsed = parse_datetime(value)
        assert parsed is not None, value  # noqa: S101 - Django wrote it: a parse failure is a bug
        value = parsed
    return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)


@dataclass
class RecurringRow:
    """One thing (asset, site or model) with one kind of incident that keeps coming back."""

    grouping: str
    subject_id: int
    kind_id: int
    peak: int  # the most incidents within one window
    total: int  # incidents of this kind on this thing in the whole period
    last_at: datetime
    subject: Any = None  # the Asset, Site or AssetModel
    kind: Any = None  # the IncidentType or Category
    tickets: list[Ticket] = field(default_factory=list)  # the latest ones, when asked


@dataclass
class RecurringTable:
    """One page of rows, and how many there are in all."""

    rows: list[RecurringRow]
    count: int  # rows in all, this page and the others
    things: int  # distinct assets, sites or models the rows in all name


def recurring(
    tickets: QuerySet[Ticket],
    *,
    grouping: str,
    same: str = Sameness.INCIDENT_TYPE,
    window_days: int = DEFAULT_WINDOW_DAYS,
    min_count: int = DEFAULT_MIN_COUNT,
    assets: QuerySet[Asset] | None = None,
    limit: int | None = None,
    tickets_per_row: int = 0,
) -> list[RecurringRow]:
    """The rows of `recurring_table` (its first `limit`), without their totals."""
    return recurring_table(
        tickets,
        grouping=grouping,
        same=same,
        window_days=window_days,
        min_count=min_count,
        assets=assets,
        limit=limit,
        tickets_per_row=tickets_per_row,
    ).rows


def recurring_table(
    tickets: QuerySet[Ticket],
    *,
    grouping: str,
    same: str = Sameness.INCIDENT_TYPE,
    window_days: int = DEFAULT_WINDOW_DAYS,
    min_count: int = DEFAULT_MIN_COUNT,
    assets: QuerySet[Asset] | None = None,
    limit: int | None = None,
    offset: int = 0,
    tickets_per_row: int = 0,
) -> RecurringTable:
    """The things of `grouping` with at least `min_count` incidents of the same kind within
    `window_days`, most first, then the most recent first: `limit` rows from `offset` (all
    of them without a limit), and the count of all of them.

    `tickets` are the ones to look at, already through the tenancy door and the page's
    filters (period, category, kind of site, member): the windows count only those.
    `assets`, when given, are the equipment that may be named (for equipment and models):
    the fleet through its own door, so a ticket naming another member's asset names
    nothing here.
    `tickets_per_row`: the latest tickets of each row to read too (the export's), at most
    TICKETS_PER_ROW. None by default: then three queries, whatever the number of rows (the
    page links each row to its tickets in the ticket list instead).
    """
    group = GROUP_FIELDS[Grouping(grouping)]
    kind = Sameness(same).value
    base = incidents(tickets).order_by()
    # One row per (thing, kind, ticket): a ticket naming two tablets of one model is one
    # incident of that model.
    named: dict[str, Any] = {f"{group}__isnull": False}
    may_name: list[Exists] = []
    if assets is not None and grouping != Grouping.SITE:
        # In the same filter() as the group's own condition: one join to the equipment. An
        # EXISTS on the joined asset rather than `assets__in=<subquery>`, which SQLite probes
        # through the (ticket, asset) index once per asset of the fleet for every ticket.
        may_name.append(Exists(assets.filter(pk=OuterRef("assets"))))
    each = (
        base.filter(*may_name, **named)
        .values(g=F(group), k=F(kind), tid=F("pk"), at=F("created_at"), t=_Seconds("created_at"))
        .distinct()
    )
    inner, params = each.query.sql_with_params()
    # Django cannot aggregate over a window function, so the two outer levels are written
    # here, around the SQL Django compiled (its parameters kept as parameters); the numbers
    # inlined are ints. "Less than N days apart": the frame ends one second short.
    span = int(window_days) * 86400 - 1
    # The two counts of the whole table come with each row of the page, by window functions
    # over the groups (a few thousand at most): the rows in all, and the things (a thing's
    # first row among its kinds counts 1).
    sql = (
        "SELECT g, k, peak, total, last_at, COUNT(*) OVER () AS found, "  # noqa: S608
        "SUM(first_of_thing) OVER () AS things FROM ("
        "SELECT g, k, MAX(n) AS peak, COUNT(*) AS total, MAX(at) AS last_at, "
        "CASE WHEN ROW_NUMBER() OVER (PARTITION BY g ORDER BY k) = 1 THEN 1 ELSE 0 END AS first_of_thing "
        f"FROM (SELECT g, k, at, COUNT(*) OVER (PARTITION BY g, k ORDER BY t "
        f"RANGE BETWEEN CURRENT ROW AND {span} FOLLOWING) AS n FROM ({inner}) each_incident"
        f") windows GROUP BY g, k HAVING MAX(n) >= {int(min_count)}"
        ") recurring_rows ORDER BY peak DESC, last_at DESC, g, k"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    rows = [
        RecurringRow(
            grouping=grouping, subject_id=g, kind_id=k, peak=peak, total=total, last_at=_instant(last_at)
        )
        for g, k, peak, total, last_at, _count, _things in found
    ]
    _label(rows, grouping, same)
    if tickets_per_row:
        _attach_tickets(rows, base, group, kind, min(tickets_per_row, TICKETS_PER_ROW))
    count, things = (int(found[0][5]), int(found[0][6])) if found else (0, 0)
    return RecurringTable(rows=rows, count=count, things=things)


def _label(rows: list[RecurringRow], grouping: str, same: str) -> None:
    """Fetch the things and kinds the rows name, one query each."""
    subjects: QuerySet[Any]
    if grouping == Grouping.ASSET:
        subjects = Asset.objects.select_related("asset_type", "model", "site", "site__member")
    elif grouping == Grouping.SITE:
        subjects = Site.objects.select_related("member", "kind")
    else:
        subjects = AssetModel.objects.select_related("asset_type")
    kinds: QuerySet[Any] = (
        IncidentType.objects.select_related("category__parent")
        if same == Sameness.INCIDENT_TYPE
        else Category.objects.select_related("parent")
    )
    by_id = subjects.in_bulk({r.subject_id for r in rows})
    kind_by_id = kinds.in_bulk({r.kind_id for r in rows})
    for row in rows:
        row.subject = by_id.get(row.subject_id)
        row.kind = kind_by_id.get(row.kind_id)


# The rows of one query of `_attach_tickets`: at most this many (thing, kind) pairs of
# the product of the chunk's things and kinds, so that at most TICKETS_PER_ROW times as
# many tickets come back, whatever the grouping.
PAIRS_PER_QUERY = 400


def _chunks(rows: list[RecurringRow]) -> Iterator[list[RecurringRow]]:
    chunk: list[RecurringRow] = []
    subjects: set[int] = set()
    kinds: set[int] = set()
    for row in rows:
        if chunk and (len(subjects | {row.subject_id}) * len(kinds | {row.kind_id}) > PAIRS_PER_QUERY):
            yield chunk
            chunk, subjects, kinds = [], set(), set()
        chunk.append(row)
        subjects.add(row.subject_id)
        kinds.add(row.kind_id)
    if chunk:
        yield chunk


def _attach_tickets(
    rows: list[RecurringRow], base: QuerySet[Ticket], group: str, kind: str, most: int
) -> None:
    """The latest tickets behind each row (`most` at most, ranked in the database).

    One query per chunk of rows, for every pair of the chunk's things and kinds (two lists
    the database checks in one step each); the pairs that are not rows are dropped here. The
    rows' own pairs as an OR of a hundred conditions made PostgreSQL combine a hundred
    bitmap scans: 3 s for the operator's sites at a million tickets (docs/benchmarks-history.md)."""
    for chunk in _chunks(rows):
        among = Q(
            **{f"{group}__in": {r.subject_id for r in chunk}, f"{kind}__in": {r.kind_id for r in chunk}}
        )
        wanted = {(r.subject_id, r.kind_id) for r in chunk}
        by_row: dict[tuple[int, int], list[Ticket]] = defaultdict(list)
        found = (
            base.filter(among)
            .annotate(
                subject=F(group),
                rank=Window(
                    RowNumber(),
                    partition_by=[F(group), F(kind)],
                    order_by=[F("created_at").desc(), F("pk").desc()],
                ),
            )
            .filter(rank__lte=most)
            .only("number", "title", "created_at", "state", "incident_type_id", "category_id")
            .order_by("-created_at", "-pk")
        )
        for ticket in found:
            key = (ticket.subject, getattr(ticket, f"{kind}_id"))
            if key in wanted and len(by_row[key]) < most and ticket not in by_row[key]:
                by_row[key].append(ticket)
        for row in chunk:
            row.tickets = by_row.get((row.subject_id, row.kind_id), [])
