#!/usr/bin/env bash
# Set up and run Mutualis on its embedded default: SQLite, demo data at the real scale.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh main
export MUTUALIS_ENV=dev
host=${HOST:-127.0.0.1}
port=${PORT:-8000}
# Links in the emails the worker sends point at this server.
export MUTUALIS_SITE_URL=${MUTUALIS_SITE_URL:-http://$host:$port}
.venv/bin/mutualis migrate --verbosity 0
.venv/bin/mutualis demo_data
# Background jobs (docs/jobs.md): a worker on the same SQLite file, no other server. It
# finishes its current job and stops when the web server stops (Ctrl-C or otherwise).
.venv/bin/mutualis worker &
worker=$!
pids=("$worker")
# Live sensors, when an MQTT broker listens (Mosquitto; the embedded default needs none):
# the ingestion worker and the simulator, at a gentle rate for SQLite (docs/ingestion.md).
if .venv/bin/python -c 'import os, socket; socket.create_connection((os.environ.get("MUTUALIS_MQTT_HOST", "127.0.0.1"), int(os.environ.get("MUTUALIS_MQTT_PORT", "1883"))), 1).close()' 2>/dev/null; then
  .venv/bin/mutualis ingest_mqtt --operator demo --stats-every 600 >/dev/null &
  pids+=($!)
  .venv/bin/mutualis simulate_sensors --operator demo --rate 5 --batch 20 >/dev/null &
  pids+=($!)
  echo "MQTT broker found: the demo's sensors stream live readings (ingest_mqtt + simulate_sensors)."
fi
trap 'kill -TERM "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true' EXIT
printf '\n\033[1mMutualis is starting at http://%s:%s/\033[0m  (Ctrl-C to stop)\n\n' "$host" "$port"
.venv/bin/mutualis runserver "$host:$port"
