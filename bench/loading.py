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


class Deferred:
    """The non-primary indexes, unique and foreign-key constraints of `tables`: dropped
    before a load, created again after it, with the same names and definitions."""

    def __init__(self, connection: psycopg.Connection, tables: Sequence[str]) -> None:
        self.connection = connection
        self.tables = list(tables)
        self.constraints: list[tuple[str, str, str]] = []  # (table, name, definition)
        self.indexes: list[tuple[str, str]] = []  # (name, definition)

    def drop(self) -> None:
        rows = self.connection.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') ORDER BY contype DESC, conname",
            [self.tables],
        ).fetchall()
        self.constraints = [(table, name, definition) for table, name, definition in rows]
        self.indexes = self.connection.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ORDER BY 1",
            [self.tables],
        ).fetchall()
        # Foreign keys first: a unique constraint may be what another table's key points to.
        for table, name, _definition in sorted(self.constraints, key=lambda c: c[2].startswith("UNIQUE")):
            self.connection.execute(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                    sql.Identifier(table), sql.Identifier(name)
                )
            )
        for name, _definition in self.indexes:
            self.connection.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        self.connection.commit()

    def restore(self, say: Callable[[str], None]) -> float:
        """Build the indexes, then the constraints (unique ones first); seconds taken."""
        started = time.monotonic()
        # A sort in memory instead of on disk: this session only, the server's setting stays.
        self.connection.execute("SET maintenance_work_mem = '1GB'")
        for name, definition in self.indexes:
            self.connection.execute(definition)  # from pg_get_indexdef, trusted
            self.connection.commit()
            say(f"  index {name} ({time.monotonic() - started:.0f} s)")
        for table, name, definition in sorted(self.constraints, key=lambda c: not c[2].startswith("UNIQUE")):
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
