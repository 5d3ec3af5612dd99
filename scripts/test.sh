#!/usr/bin/env bash
# The whole test suite: lint, types, then pytest on SQLite and on PostgreSQL.
#
# PostgreSQL is the server at $MUTUALIS_TEST_POSTGRES (default the local one,
# postgres://postgres@127.0.0.1:5432/mutualis). In CI (CI set) an unreachable server is
# a failure. On a machine without PostgreSQL the SQLite run still counts, and the
# summary says plainly that the PostgreSQL run was not done.
#
# Extra arguments go to pytest, e.g. `make test ARGS="-k tenancy"`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev

pg_url=${MUTUALIS_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/mutualis}
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

say "ruff"
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
say "mypy"
# Tests are plain pytest functions over factories (factory_boy types calls loosely);
# the types that protect users are those of the product code.
.venv/bin/mypy --no-error-summary mutualis

# The MQTT broker of the ingestion tests. CI provides one at 127.0.0.1:1883 (its absence
# fails the tests there); elsewhere, start a throw-away Mosquitto when none listens.
mqtt_up() { .venv/bin/python -c 'import socket; socket.create_connection(("127.0.0.1", 1883), 1).close()' 2>/dev/null; }
if ! mqtt_up && [ -z "${CI:-}" ]; then
  mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
  say "Starting Mosquitto on 127.0.0.1:1883 for the ingestion tests"
  "$mosquitto_bin" -d -p 1883 >/dev/null 2>&1 || echo "Could not start Mosquitto: the MQTT tests will fail." >&2
  sleep 0.5
fi

pytest_args=(-n "${MUTUALIS_TEST_WORKERS:-auto}" -q "$@")

say "pytest on SQLite"
env -u DATABASE_URL .venv/bin/pytest "${pytest_args[@]}"

say "pytest on PostgreSQL ($pg_url)"
if .venv/bin/python scripts/pg_available.py "$pg_url"; then
  DATABASE_URL="$pg_url" .venv/bin/pytest "${pytest_args[@]}"
  say "Both runs passed: SQLite and PostgreSQL."
elif [ -n "${CI:-}" ]; then
  echo "FAIL: PostgreSQL is not reachable at $pg_url and CI requires it." >&2
  exit 1
else
  echo "NOT RUN: PostgreSQL is not reachable at $pg_url; only the SQLite run was done." >&2
  echo "         Start PostgreSQL or set MUTUALIS_TEST_POSTGRES to run the suite on it too." >&2
fi
