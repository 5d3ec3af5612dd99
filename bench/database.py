"""The bench database: created fresh on the server, migrated, loaded with the demo registry
(`mutualis demo_data`: the 78/92 members, sites, equipment and people, and the desk's
catalogue and two years of tickets), measured, and dropped when asked."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

import dj_database_url
import psycopg
from psycopg import sql

from .config import MUTUALIS, Config

Say = Callable[[str], None]


def connect(url: str, *, dbname: str | None = None, autocommit: bool = False) -> psycopg.Connection:
    config = dj_database_url.parse(url)
    return psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        password=config["PASSWORD"] or None,
        dbname=dbname or config["NAME"],
        autocommit=autocommit,
        connect_timeout=5,
    )


def reachable(config: Config) -> str:
    """ "" when the server answers; otherwise why not."""
    try:
        connect(config.database_url, dbname="postgres").close()
    except psycopg.Error as exc:
        return str(exc).strip() or exc.__class__.__name__
    return ""


def create(config: Config, say: Say) -> None:
    # FORCE ends the sessions of an earlier run that was interrupted (PostgreSQL 13+).
    with connect(config.database_url, dbname="postgres", autocommit=True) as admin:
        name = sql.Identifier(config.database)
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
    say(f"Created database {config.database}")


def drop(config: Config, say: Say) -> None:
    with connect(config.database_url, dbname="postgres", autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(config.database))
        )
    say(f"Dropped database {config.database}")


def mutualis(config: Config, say: Say, *args: str) -> float:
    """Run a `mutualis` command on the bench database; its output lines go to `say`."""
    started = time.monotonic()
    process = subprocess.Popen(
        [str(MUTUALIS), *args],
        env=config.environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip():
            say(f"  {line.rstrip()}")
    if process.wait() != 0:
        sys.exit(f"`mutualis {' '.join(args)}` failed (exit {process.returncode}).")
    return time.monotonic() - started


def load_registry(config: Config, say: Say) -> dict[str, float]:
    """Migrate and load the demo data; the seconds each took."""
    return {
        "migrate": mutualis(config, say, "migrate", "--verbosity", "0"),
        "demo_data": mutualis(
            config,
            say,
            "demo_data",
            "--scale",
            f"{config.demo_scale:g}",
            "--seed",
            str(config.seed),
            "--today",
            config.today.isoformat(),
        ),
    }


TABLES = (
    "servicedesk_ticket",
    "servicedesk_ticketevent",
    "servicedesk_comment",
    "servicedesk_ticket_assets",
    "registry_site",
    "registry_asset",
    "people_user",
)


def sizes(config: Config) -> dict[str, dict[str, int]]:
    """Rows and bytes on disk (with indexes and TOAST) of the tables that matter."""
    found = {}
    with connect(config.database_url) as connection:
        for table in TABLES:
            rows = connection.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()
            size = connection.execute("SELECT pg_total_relation_size(%s)", [table]).fetchone()
            found[table] = {"rows": int(rows[0]) if rows else 0, "bytes": int(size[0]) if size else 0}
    return found
