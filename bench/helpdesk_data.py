"""django-helpdesk loaded with the same tickets and replies as the Mutualis bench database
(issue 8, clause 3: "loaded with the same tickets and replies").

Its database is created next to Mutualis' (`<database>_helpdesk`), migrated by the helpdesk
project (bench/helpdesk/), then filled table by table with one `COPY (SELECT …) TO STDOUT`
on the Mutualis database piped into one `COPY … FROM STDIN` on helpdesk's: no Python per
row. The mapping (what is comparable and what is not is in docs/benchmarks.md):

- people → `auth_user` (same ids, same password hashes, username = e-mail); operator
  staff (a membership without a member) are helpdesk staff; each gets helpdesk's
  per-user settings row, which its views expect (a signal makes it for users created
  through the ORM, not for rows written by COPY);
- members → queues (same ids): django-helpdesk has no tenants, and a member's tickets are
  the nearest thing to a queue a staff user filters on;
- tickets → tickets (same ids, title, description, dates, priority 1-4 as helpdesk's 1-4,
  assignee, the requester's e-mail as submitter; states: resolved 3, closed and
  cancelled 4, merged 5 "duplicate" with `merged_to`, waiting ones open and on hold,
  the others open 1);
- replies and internal notes → follow-ups (public unless internal, same author and date).
Ticket events (the timeline: assignments, state changes) have no row in helpdesk, whose
ticket page shows follow-ups only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from . import helpdesk_env
from .config import Config
from .database import connect
from .loading import Deferred

Say = Callable[[str], None]
LOADED_TABLES = ("helpdesk_ticket", "helpdesk_followup")
# (helpdesk table, its columns, the SELECT on the Mutualis database giving them in order)
COPIES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "auth_user",
        ("id", "password", "last_login", "is_superuser", "username", "first_name", "last_name", "email",
         "is_staff", "is_active", "date_joined"),
        "SELECT u.id, u.password, u.last_login, false, left(u.email, 150), '', left(u.full_name, 150), u.email, "
        "EXISTS (SELECT 1 FROM people_membership m WHERE m.user_id = u.id AND m.member_id IS NULL "
        "AND m.is_active), u.is_active, u.date_joined FROM people_user u ORDER BY u.id",
    ),
    (
        "helpdesk_queue",
        ("id", "title", "slug", "allow_public_submission", "allow_email_submission", "email_box_ssl",
         "enable_notifications_on_email_events"),
        "SELECT id, left(name, 100), 'member-' || id, false, false, false, false FROM registry_member ORDER BY id",
    ),
    (
        "helpdesk_ticket",
        ("id", "title", "created", "modified", "submitter_email", "status", "on_hold", "description",
         "priority", "assigned_to_id", "queue_id", "secret_key", "merged_to_id"),
        "SELECT t.id, left(t.title, 200), t.created_at, t.updated_at, r.email, "
        "CASE WHEN t.merged_into_id IS NOT NULL THEN 5 WHEN t.state = 'resolved' THEN 3 "
        "WHEN t.state IN ('closed', 'cancelled') THEN 4 ELSE 1 END, "
        "t.state IN ('waiting_member', 'waiting_third_party'), t.description, t.priority, t.assignee_id, "
        "t.member_id, md5(t.id::text)::uuid::text, t.merged_into_id "
        "FROM servicedesk_ticket t LEFT JOIN people_user r ON r.id = t.requester_id",
    ),
    (
        "helpdesk_followup",
        ("id", "date", "title", "comment", "public", "ticket_id", "user_id"),
        "SELECT c.id, c.created_at, CASE WHEN c.internal THEN 'Note interne' ELSE 'Réponse' END, c.body, "
        "NOT c.internal, c.ticket_id, c.author_id FROM servicedesk_comment c",
    ),
)  # fmt: skip
SETTINGS_ROWS = (
    "INSERT INTO helpdesk_usersettings (user_id, login_view_ticketlist, email_on_ticket_change, "
    "email_on_ticket_assign, tickets_per_page, use_email_as_submitter, ticket_respond_layout) "
    "SELECT id, true, true, true, 25, true, 'tabs' FROM auth_user"
)


@dataclass
class HelpdeskLoaded:
    database: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def database_name(config: Config) -> str:
    return f"{config.database}_helpdesk"


def database_url(config: Config) -> str:
    return f"{config.server.rstrip('/')}/{database_name(config)}"


def environment(config: Config) -> dict[str, str]:
    return helpdesk_env.environment(database_name(config), config.secret, config.var_dir / "helpdesk")


def load(config: Config, say: Say) -> HelpdeskLoaded:
    """Create helpdesk's database, migrate it, copy the Mutualis bench data into it."""
    loaded = HelpdeskLoaded(database_name(config))
    loaded.seconds["helpdesk_venv"] = helpdesk_env.ensure(say)
    name = sql.Identifier(loaded.database)
    with connect(config.database_url, dbname="postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
    env = environment(config)
    loaded.seconds["helpdesk_migrate"] = helpdesk_env.manage(env, say, "migrate", "--noinput", "-v", "0")
    started = time.monotonic()
    with connect(config.database_url) as source, connect(database_url(config)) as target:
        target.execute("SET synchronous_commit = off")
        deferred = Deferred(target, LOADED_TABLES)
        deferred.drop()
        for table, names, select in COPIES:
            loaded.rows[table] = _pipe(source, target, table, names, select)
            say(f"  {table}: {loaded.rows[table]:,} rows ({time.monotonic() - started:.0f} s)")
        target.execute(SETTINGS_ROWS)
        for table, _names, _select in COPIES:
            # Identity columns: the next row created through the application follows the copied ids.
            target.execute(
                sql.SQL("SELECT setval(pg_get_serial_sequence({t}, 'id'), (SELECT max(id) FROM {i}))").format(
                    t=sql.Literal(table), i=sql.Identifier(table)
                )
            )
        target.commit()
        loaded.seconds["helpdesk_copy"] = time.monotonic() - started
        loaded.seconds["helpdesk_indexes"] = deferred.restore(say)
    started = time.monotonic()
    with connect(database_url(config), autocommit=True) as target:
        target.execute("VACUUM (ANALYZE)")
    loaded.seconds["helpdesk_vacuum"] = time.monotonic() - started
    return loaded


def _pipe(
    source: psycopg.Connection, target: psycopg.Connection, table: str, names: tuple[str, ...], select: str
) -> int:
    """COPY the rows of `select` into `table`, in PostgreSQL's text format end to end."""
    into = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(n) for n in names)
    )
    out = sql.SQL("COPY ({}) TO STDOUT").format(sql.SQL(select))
    with (
        source.cursor() as reading,
        target.cursor() as writing,
        reading.copy(out) as rows,
        writing.copy(into) as sink,
    ):
        for block in rows:
            sink.write(block)
    count = target.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    return int(count[0]) if count else 0


def sizes(config: Config) -> dict[str, dict[str, int]]:
    with connect(database_url(config)) as target:
        rows = target.execute(
            "SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid) FROM pg_class c "
            "WHERE c.relname = ANY(%s)",
            [[table for table, _n, _s in COPIES]],
        ).fetchall()
    return {name: {"rows": int(tuples), "bytes": int(size)} for name, tuples, size in rows}


def exists(config: Config) -> bool:
    with connect(config.database_url, dbname="postgres") as admin:
        return (
            admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database_name(config)]).fetchone()
            is not None
        )


def remove_created(config: Config) -> int:
    """The tickets the creation case declared (their description is the bench's marker),
    with what helpdesk wrote about them, so that no run measures another's leftovers."""
    from .cleanup import MARKER

    with connect(database_url(config)) as target:
        target.execute(
            "DELETE FROM helpdesk_ticketchange WHERE followup_id IN (SELECT f.id FROM helpdesk_followup f "
            "JOIN helpdesk_ticket t ON t.id = f.ticket_id WHERE t.description = %(marker)s)",
            {"marker": MARKER},
        )
        for table in ("helpdesk_followup", "helpdesk_ticketcc", "helpdesk_ticketcustomfieldvalue"):
            target.execute(
                sql.SQL(
                    "DELETE FROM {} WHERE ticket_id IN (SELECT id FROM helpdesk_ticket WHERE description = %(marker)s)"
                ).format(sql.Identifier(table)),
                {"marker": MARKER},
            )
        removed = target.execute(
            "DELETE FROM helpdesk_ticket WHERE description = %(marker)s", {"marker": MARKER}
        ).rowcount
        target.execute(
            "SELECT setval(pg_get_serial_sequence('helpdesk_ticket', 'id'), (SELECT max(id) FROM helpdesk_ticket))"
        )
        target.commit()
    return removed


# The states as helpdesk's statuses (Ticket.STATUS_CHOICES: 1 open, 3 resolved, 4 closed,
# 5 duplicate), written a second time, in Python, to check the SQL mapping of COPIES.
EXPECTED_STATUS = {"resolved": 3, "closed": 4, "cancelled": 4}


def check(config: Config, member_id: int) -> dict[str, object]:
    """The copy seen from both sides: tickets by status, the measured member's open tickets
    (what the two lists compared show), and replies against follow-ups."""
    with connect(config.database_url) as source, connect(database_url(config)) as target:
        expected: dict[int, int] = {}
        for state, merged, count in source.execute(
            "SELECT state, merged_into_id IS NOT NULL, count(*) FROM servicedesk_ticket GROUP BY 1, 2"
        ).fetchall():
            status = 5 if merged else EXPECTED_STATUS.get(state, 1)
            expected[status] = expected.get(status, 0) + count
        found: dict[int, int] = dict(
            target.execute("SELECT status, count(*) FROM helpdesk_ticket GROUP BY 1").fetchall()
        )
        open_states = ["new", "assigned", "in_progress", "waiting_member", "waiting_third_party"]
        mutualis_open = source.execute(
            "SELECT count(*) FROM servicedesk_ticket WHERE member_id = %s AND state = ANY(%s)",
            [member_id, open_states],
        ).fetchone()
        helpdesk_open = target.execute(
            "SELECT count(*) FROM helpdesk_ticket WHERE queue_id = %s AND status IN (1, 2)", [member_id]
        ).fetchone()
        replies = source.execute("SELECT count(*) FROM servicedesk_comment").fetchone()
        followups = target.execute("SELECT count(*) FROM helpdesk_followup").fetchone()
    return {
        "statuses": {"expected": {str(k): v for k, v in sorted(expected.items())},
                     "found": {str(k): v for k, v in sorted(found.items())}},
        "member_open": {"mutualis": mutualis_open[0] if mutualis_open else None,
                        "helpdesk": helpdesk_open[0] if helpdesk_open else None},
        "replies": {"mutualis": replies[0] if replies else None, "helpdesk": followups[0] if followups else None},
    }  # fmt: skip


def drop(config: Config, say: Say) -> None:
    with connect(config.database_url, dbname="postgres", autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(config)))
        )
    say(f"Dropped database {database_name(config)}")
