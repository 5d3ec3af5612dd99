"""Exit 0 when the PostgreSQL server of the given URL accepts a connection, 1 otherwise."""

import sys

import dj_database_url
import psycopg

config = dj_database_url.parse(sys.argv[1])
try:
    # The test database is created by the test runner; the server's own database answers.
    psycopg.connect(
        host=config["HOST"] or "localhost",
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname="postgres",
        connect_timeout=3,
    ).close()
except psycopg.Error as exc:
    print(f"PostgreSQL unavailable: {exc}".strip(), file=sys.stderr)
    sys.exit(1)
