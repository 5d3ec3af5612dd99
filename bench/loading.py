"""Bulk loading with PostgreSQL's COPY, the way any generator of the bench writes rows.

A COPY into a table with its indexes and deferred foreign keys maintains every index row
by row and queues a trigger event per row and key until commit: hours at 10 million rows.
So the indexes and constraints of the loaded tables are read from the catalog, dropped,
and built again after the load (an index build sorts once; a foreign key is checked by one
join), exactly as they were: the schema stays the migrations' one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack

import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

# COPY's text format: a tab between columns, a newline between rows, \N for NULL, and
# backslash escapes for these four characters (PostgreSQL docs, "COPY", File Formats).
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"
# Rows sent per write: big enough to keep the per-call cost negligible, small enough to
# keep memory flat.
ROWS_PER_WRITE = 5000


def text(value: str) -> str:
    return value.translate(ESCAPES)


def maybe(value: object) -> str:
    return NULL if value is None else str(value)


# Constraints are dropped in this order and created again in the reverse one: a foreign key
# may point to a unique or primary key.
_DROP_ORDER = {"f": 0, "u": 1, "p": 2}


class Deferred:
    """The non-primary indexes, unique and foreign-key constraints of `tables`: dropped
    before a load, created again after it, with the same names and definitions.
    `primary_keys`: the primary keys too, for tables no foreign key points to (the hub's
    history, whose primary key is the series index every write maintains)."""

    def __init__(
        self, connection: psycopg.Connection, tables: Sequence[str], *, primary_keys: bool = False
    ) -> None:
        self.connection = connection
        self.tables = list(tables)
        self.kinds = ["f", "u", "p"] if primary_keys else ["f", "u"]
        self.constraints: list[tuple[str, str, str, str]] = []  # (table, kind, name, definition)
        self.indexes: list[tuple[str, str]] = []  # (name, definition)

    def drop(self) -> None:
        rows = self.connection.execute(
            "SELECT conrelid::regclass::text, contype::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[]) AND contype::text = ANY(%s) ORDER BY conname",
            [self.tables, self.kinds],
        ).fetchall()
        self.constraints = sorted(rows, key=lambda c: _DROP_ORDER[c[1]])
        self.indexes = self.connection.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ORDER BY 1",
            [self.tables],
        ).fetchall()
        for table, _kind, name, _definition in self.constraints:
            self.connection.execute(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                    sql.Identifier(table), sql.Identifier(name)
                )
            )
        for name, _definition in self.indexes:
            self.connection.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        self.connection.commit()

    def restore(self, say: Callable[[str], None]) -> float:
        """Build the indexes, then the constraints (keys before the foreign keys that point
        to them); seconds taken."""
        started = time.monotonic()
        # A sort in memory instead of on disk: this session only, the server's setting stays.
        self.connection.execute("SET maintenance_work_mem = '1GB'")
        for name, definition in self.indexes:
            self.connection.execute(definition)  # from pg_get_indexdef, trusted
            self.connection.commit()
            say(f"  index {name} ({time.monotonic() - started:.0f} s)")
        for table, _kind, name, definition in reversed(self.constraints):
            self.connection.execute(
                sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                    sql.Identifier(table),
                    sql.Identifier(name),
                    sql.SQL(definition),
                )
            )
            self.connection.commit()
            say(f"  constraint {name} ({time.monotonic() - started:.0f} s)")
        return time.monotonic() - started


def columns(connection: psycopg.Connection, table: str) -> list[tuple[str, bool, bool]]:
    """(name, nullable, has a default) of each column of `table`."""
    rows = connection.execute(
        "SELECT column_name, is_nullable = 'YES', column_default IS NOT NULL OR is_identity = 'YES' "
        "FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [(name, nullable, default) for name, nullable, default in rows]


def check_columns(connection: psycopg.Connection, table: str, given: Sequence[str]) -> None:
    """Refuse to load a table that grew a required column the generator does not fill."""
    missing = [
        name
        for name, nullable, default in columns(connection, table)
        if name not in given and not (nullable or default)
    ]
    if missing:
        raise SystemExit(
            f"{table} has required columns the bench does not fill: {', '.join(missing)}. "
            "Add them to bench/desk_data.py."
        )


class CopyStream:
    """One `COPY table (columns) FROM STDIN` on its own connection, fed text rows. The
    queued writer sends data from a thread, so Python keeps generating meanwhile."""

    def __init__(
        self,
        stack: ExitStack,
        url_connect: Callable[[], psycopg.Connection],
        table: str,
        names: Sequence[str],
    ) -> None:
        self.connection = stack.enter_context(url_connect())
        self.connection.execute("SET synchronous_commit = off")
        check_columns(self.connection, table, names)
        cursor = stack.enter_context(self.connection.cursor())
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(n) for n in names)
        )
        self.copy = stack.enter_context(cursor.copy(statement, writer=QueuedLibpqWriter(cursor)))
        self.pending: list[str] = []
        self.rows = 0

    def add(self, row: str) -> None:
        """`row`: the columns already formatted and joined by tabs, ending with a newline."""
        self.pending.append(row)
        if len(self.pending) >= ROWS_PER_WRITE:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.copy.write("".join(self.pending))
            self.rows += len(self.pending)
            self.pending.clear()
