"""Planner statistics: the row counts and spreads of values a database's query planner reads
to choose between indexes. Without them the planner guesses, and on skewed data guesses
wrong: a freshly generated demo, never analysed, answered a page in 3.4 s
(docs/benchmarks-history.md, sixteenth session).

- PostgreSQL gathers them itself: autovacuum analyses a table once enough of its rows have
  changed (PostgreSQL 16, 25.1.6 "Updating Planner Statistics"), but only some time after a
  bulk load; `demo_data` analyses at its end (`analyze_now`).
- SQLite never gathers them unless told (https://sqlite.org/lang_analyze.html). Its advice
  is `PRAGMA optimize` (https://sqlite.org/pragma.html#pragma_optimize): from SQLite 3.46,
  `PRAGMA optimize=0x10002` looks at every table and analyses those whose statistics are
  missing or out of date, on a sample (`analysis_limit`). Before 3.46 it only looks at the
  tables the same connection has queried, which a fresh connection has not; there the whole
  database is analysed on the same bounded sample. `refresh_statistics` does it; a worker
  runs it every few hours (`database.planner_statistics` in mutualis.jobs.tasks), the
  "timer" SQLite's documentation suggests for long-running applications. The web's
  connections are no place for it: there are many, and by default each lasts one request
  (CONN_MAX_AGE=0).
"""

from __future__ import annotations

import sqlite3

from django.db import DEFAULT_DB_ALIAS, connections

# Rows SQLite reads per index when refreshing statistics: the range SQLite's documentation
# suggests (100-1000) gives estimates good enough to choose an index in milliseconds, where
# reading a table of a million rows in full takes seconds.
SQLITE_ANALYSIS_LIMIT = 1000
# `PRAGMA optimize` looks at every table (0x10000) from this version on, not only those the
# connection has queried.
SQLITE_OPTIMIZE_ALL_TABLES = (3, 46, 0)


def analyze_now(using: str = DEFAULT_DB_ALIAS) -> None:
    """Statistics of every table, each read in full: after a bulk load, before anyone waits
    on a page."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=0")  # no limit: this connection may have set one
        cursor.execute("ANALYZE")


def refresh_statistics(using: str = DEFAULT_DB_ALIAS) -> str | None:
    """Bring SQLite's statistics up to date, cheaply; returns the statement run. Nothing on
    PostgreSQL, whose autovacuum does it."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return None
    if sqlite3.sqlite_version_info >= SQLITE_OPTIMIZE_ALL_TABLES:  # the library Django's backend loads
        statement = "PRAGMA optimize=0x10002"  # 0x02 analyse where needed, 0x10000 every table
    else:
        statement = "ANALYZE"
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        cursor.execute(statement)
    return statement
