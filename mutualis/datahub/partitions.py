"""Monthly partitions of the attribute history on PostgreSQL.

History is append-mostly and read by time range: partitioning by month of `observed_at`
keeps each partition's indexes small enough to stay in memory while writing, lets a
temporal query touch only the months it asks for, and lets an operator drop old months
at once. A DEFAULT partition catches anything outside the prepared months (a device with
a wrong clock), so that no observation is ever refused for lack of a partition; when a
month's partition is created later, its rows are moved out of the default one.

SQLite (the embedded default) has no partitioning: the history is one plain table there.
The partitioned table is created by migration 0002 and keyed by migration 0007.
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction
from django.utils import timezone

TABLE = "datahub_attributeinstance"
DEFAULT_PARTITION = f"{TABLE}_default"


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname = %s",
            [TABLE],
        )
        return cursor.fetchone() is not None


def existing_partitions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [TABLE],
        )
        return {row[0] for row in cursor.fetchall()}


def ensure_partitions(first: date, last: date) -> list[str]:
    """Create the monthly partitions covering `first`..`last` that do not exist yet.

    Returns the names created. Rows already caught by the default partition for a new
    month are moved into it in the same transaction (PostgreSQL refuses to attach a
    partition whose range the default partition still holds rows for).
    """
    if not is_partitioned():
        return []
    present = existing_partitions()
    created = []
    month = month_start(first)
    while month <= last:
        name = partition_name(month)
        if name not in present:
            upper = next_month(month)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
                cursor.execute(
                    f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE observed_at >= %s AND observed_at < %s RETURNING *)"  # noqa: S608 (names are this module's own)
                    f" INSERT INTO {name} SELECT * FROM moved",
                    [month, upper],
                )
                # DDL takes no bound parameters; the bounds are dates this module formats.
                cursor.execute(
                    f"ALTER TABLE {TABLE} ATTACH PARTITION {name}"
                    f" FOR VALUES FROM ('{month.isoformat()}') TO ('{upper.isoformat()}')"
                )
            created.append(name)
        month = next_month(month)
    return created


def ensure_upcoming_partitions(months_ahead: int = 3) -> list[str]:
    today = timezone.localdate()
    last = today
    for _ in range(months_ahead):
        last = next_month(last)
    return ensure_partitions(today, last)
