"""The triggers that change ServiceLevelRevision's token on every write to the tables a
ticket's service level is read from (see that model, and services/deadlines.py's cache).

Installed by migration 0010, which names its own tables: a later migration that watches one
more table calls `install` with its list, so that 0010 keeps doing on a new database what
it did. On SQLite, a migration that rebuilds one of these tables
(Django copies it into a new one to alter a column) drops its triggers with it: such a
migration must call `install` again; `tests/servicedesk/test_service_level_cache.py`
fails until it does.
"""

from __future__ import annotations

from typing import Any

REVISION_TABLE = "servicedesk_servicelevelrevision"
WATCHED_TABLES = (
    "servicedesk_slapolicy",
    "servicedesk_slatarget",
    "servicedesk_businesscalendar",
    "servicedesk_openingrange",
    "servicedesk_closure",
    "servicedesk_category",
    "servicedesk_categoryservicelevel",
    "servicedesk_servicecontract",
)
PG_FUNCTION = "servicedesk_service_levels_changed"
PG_TRIGGER = "service_levels_changed"
# The writes that change the token (PostgreSQL also TRUNCATE, which its catalog does not list).
EVENTS = ("INSERT", "UPDATE", "DELETE")


def _sqlite_trigger(table: str, event: str) -> str:
    return f"{table}_service_levels_{event.lower()}"


def install(connection: Any, tables: tuple[str, ...] = WATCHED_TABLES) -> None:
    """Create (or create again) the function and the triggers of `tables`; idempotent."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Once per statement: a bulk_create of a year's closures changes it once.
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "  # noqa: S608 (fixed names)
                f"BEGIN UPDATE {REVISION_TABLE} SET token = gen_random_uuid()::text; RETURN NULL; END $$"
            )
            for table in tables:
                cursor.execute(f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER {PG_TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
                )
            return
        # SQLite has row triggers only, one per event.
        for table in tables:
            for event in EVENTS:
                name = _sqlite_trigger(table, event)
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(
                    f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN "  # noqa: S608 (fixed names)
                    f"UPDATE {REVISION_TABLE} SET token = lower(hex(randomblob(16))); END"
                )


def uninstall(connection: Any, tables: tuple[str, ...] = WATCHED_TABLES) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in tables:
                cursor.execute(f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
            return
        for table in tables:
            for event in EVENTS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {_sqlite_trigger(table, event)}")


def watched(connection: Any) -> set[str]:
    """The tables whose every write (insert, update, delete) changes the token."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT event_object_table, count(DISTINCT event_manipulation) "
                "FROM information_schema.triggers WHERE trigger_name = %s GROUP BY 1",
                [PG_TRIGGER],
            )
            return {table for table, events in cursor.fetchall() if events == len(EVENTS)}
        cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        names = {name for _table, name in cursor.fetchall()}
    return {
        table for table in WATCHED_TABLES if all(_sqlite_trigger(table, event) in names for event in EVENTS)
    }
