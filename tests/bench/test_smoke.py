"""`python -m bench` end to end at a tiny scale, on the real PostgreSQL server: database
created, registry and tickets loaded with COPY, gunicorn started, every case measured, then
the concurrent load at two levels, django-helpdesk (its own virtual environment, built from
PyPI on the first run and kept in ~/.cache) loaded with the same tickets and measured
beside it, results written, databases dropped. No timing is asserted: this keeps the bench
from rotting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dj_database_url
import psycopg
import pytest

from bench.report import END, START

pytestmark = pytest.mark.postgres_only

PROJECT = Path(__file__).resolve().parents[2]
CASES = {
    "list_open", "list_category", "list_parent_category", "list_deep", "list_search", "api_list_open", "api_list_category",
    "api_search", "ticket_page", "api_ticket", "desk_queue", "create_verb", "create_page", "create_api",
    "panel_volumes", "panel_breakdown", "panel_backlog", "panel_durations", "panel_sla", "panel_reopen",
    "panel_satisfaction", "panel_load", "member_panel_volumes", "member_panel_breakdown", "member_panel_backlog",
    "member_panel_durations", "member_panel_sla", "member_panel_reopen", "member_panel_satisfaction",
    "member_report_pdf", "history_copy_live", "ngsild_batch_upsert", "ngsild_batch_upsert_concurrent", "temporal_entity_hourly", "temporal_1000_daily", "ingest_http",
    "ingest_http_alerts", "ingest_mqtt", "ingest_mqtt_alerts",
}  # fmt: skip
LOAD_CASES = {
    "list_open", "api_list_open", "list_search", "ticket_page", "create_page", "dashboard", "desk_queue",
}  # fmt: skip
HELPDESK_CASES = {"hd_list", "hd_search", "hd_list_all", "hd_ticket", "hd_create", "hd_dashboard"}


def _server() -> tuple[str, dict[str, object]]:
    """The server of the suite's DATABASE_URL, as the bench takes it (without a database)."""
    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    user = config["USER"] or "postgres"
    password = f":{config['PASSWORD']}" if config["PASSWORD"] else ""
    host, port = config["HOST"] or "127.0.0.1", config["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}", {
        "host": host,
        "port": port,
        "user": user,
        "password": config["PASSWORD"] or None,
    }


def _databases(params: dict[str, object]) -> set[str]:
    with psycopg.connect(dbname="postgres", connect_timeout=5, **params) as connection:  # type: ignore[arg-type]
        return {row[0] for row in connection.execute("SELECT datname FROM pg_database")}


def test_the_bench_runs_end_to_end_at_a_tiny_scale(tmp_path: Path):
    server, params = _server()
    try:
        _databases(params)
    except psycopg.Error as exc:
        pytest.fail(f"PostgreSQL is unreachable at {server}, which DATABASE_URL names: {exc}")
    database = f"mutualis_bench_smoke_{os.getpid()}"
    docs = tmp_path / "benchmarks.md"
    docs.write_text(f"# Benchmarks\n\nBefore.\n\n{START}\nold\n{END}\n\nAfter.\n")

    done = subprocess.run(  # noqa: S603 - the project's own command, with arguments written here
        [
            sys.executable, "-m", "bench", "--scale", "0.001", "--demo-scale", "0.02", "--iterations", "5",
            "--warmup", "1", "--database", database, "--server", server, "--results", str(tmp_path),
            "--docs", str(docs), "--drop", "--clients", "1,2", "--load-seconds", "1", "--load-warmup", "1",
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    (path,) = tmp_path.glob("*.json")
    results = json.loads(path.read_text())
    tables = results["data"]["tables"]
    assert tables["servicedesk_ticket"]["rows"] == 1_000
    assert 4_500 <= tables["servicedesk_comment"]["rows"] <= 5_500
    assert tables["servicedesk_ticketevent"]["rows"] > tables["servicedesk_ticket"]["rows"]
    assert {case["name"] for case in results["cases"]} == CASES
    # The hub: 1,000 sensors, 100 million instances × 0.001, loaded with COPY.
    assert results["hub"]["entities"] == 1_000
    assert results["hub_loaded"]["instances"] == 100_000
    assert results["hub_loaded"]["copy_rows_per_s"] > 0
    for case in results["cases"]:
        assert case["status"] == "measured", case
        assert case["iterations"] == 5, case["name"]
        assert {"p50", "p95", "p99"} <= set(case["server_ms"]), case["name"]
        assert all(200 <= int(status) < 400 for status in case["http_statuses"]), case
        if case["method"] == "GET":
            assert case["plans"], case["name"]
        if case["unit"]:
            assert case["units_per_s"] > 0, case["name"]
    _check_load(results, tables)
    # The machine's speed reference, so that runs on different machines can be compared.
    reference = results["machine"]["speed_reference"]
    assert (
        0 < reference["python_ns"]["min"] <= reference["python_ns"]["median"] <= reference["python_ns"]["max"]
    )
    assert reference["select_1_ms"] > 0
    text = docs.read_text()
    assert "**Speed reference**" in text
    # The upsert next to both references: the load's COPY and the COPY of its own rows.
    live = next(case for case in results["cases"] if case["name"] == "history_copy_live")
    assert "**COPY into the live history**, its key in place, of the rows one upsert writes" in text
    assert f"{live['units_per_s']:,.0f} rows/s" in text
    assert "| vs COPY | vs live |" in text
    assert text.startswith("# Benchmarks\n\nBefore.")
    assert text.rstrip().endswith("After.")
    assert "old" not in text
    assert text.count("| ") > len(CASES)
    assert "### Under concurrent load" in text
    assert "**Mutualis / django-helpdesk**" in text
    assert database not in _databases(params)
    assert f"{database}_helpdesk" not in _databases(params)


def _check_load(results: dict, tables: dict) -> None:
    """The load phase at 1 and 2 clients, both systems, and helpdesk's copy of the data."""
    for key, names in (("load", LOAD_CASES), ("helpdesk_load", HELPDESK_CASES)):
        outcomes = results[key]
        assert {(o["name"], o["clients"]) for o in outcomes} == {(n, c) for n in names for c in (1, 2)}
        for outcome in outcomes:
            assert not outcome["error"], outcome
            assert outcome["iterations"] >= outcome["clients"], outcome["name"]
            assert all(200 <= int(status) < 400 for status in outcome["http_statuses"]), outcome
            assert {"p50", "p95", "p99"} <= set(outcome["latency_ms"]), outcome["name"]
            assert outcome["throughput_per_s"] > 0, outcome["name"]
            assert outcome["cpu_share"]["server"] > 0, outcome["name"]
    assert {(r["mutualis"], r["clients"]) for r in results["ratios"]} == {
        (name, c) for name in ("list_open", "list_search", "ticket_page", "create_page", "dashboard", "desk_queue")
        for c in (1, 2)
    }  # fmt: skip
    # The same tickets and replies on both sides, states mapped to helpdesk's statuses.
    loaded = results["helpdesk_loaded"]
    assert loaded["helpdesk_ticket"] == tables["servicedesk_ticket"]["rows"]
    assert loaded["helpdesk_followup"] == tables["servicedesk_comment"]["rows"]
    check = results["helpdesk_check"]
    assert check["statuses"]["found"] == check["statuses"]["expected"]
    assert check["member_open"]["helpdesk"] == check["member_open"]["mutualis"] > 0
    assert check["replies"]["helpdesk"] == check["replies"]["mutualis"]
