"""The results of a run: a JSON file (bench/results/<time>.json) with everything measured,
and a Markdown section of docs/benchmarks.md with the machine, the data, the method and
the table of figures against their targets."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import statistics
import sys
import time
import timeit
from pathlib import Path
from typing import Any

from .config import Config
from .database import connect
from .load_report import load_section

START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
POSTGRES_SETTINGS = ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit")


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


# The fixed work of the speed reference: Python's own loop, and PostgreSQL's round trip.
REFERENCE_STATEMENT = "sum(range(100))"
REFERENCE_LOOPS, REFERENCE_SAMPLES, ROUND_TRIPS = 100_000, 9, 200


def speed_reference(connection: Any) -> dict[str, Any]:
    """The same small work timed on every machine, so that runs on different machines can
    be told apart from changes of the code. The machines the benchmarks ran on differed by
    up to two times in Python's speed (an Intel Xeon and an AMD EPYC guest, both "2 cores"),
    and a virtual machine's speed also varies within a run: the spread of the nine samples
    says how much (docs/benchmarks.md)."""
    samples = sorted(
        timeit.timeit(REFERENCE_STATEMENT, number=REFERENCE_LOOPS) / REFERENCE_LOOPS * 1e9
        for _ in range(REFERENCE_SAMPLES)
    )
    trips = []
    for _ in range(ROUND_TRIPS):
        started = time.perf_counter()
        connection.execute("SELECT 1").fetchone()
        trips.append((time.perf_counter() - started) * 1000)
    return {
        "python_statement": REFERENCE_STATEMENT,
        "python_ns": {"min": samples[0], "median": statistics.median(samples), "max": samples[-1]},
        "select_1_ms": statistics.median(trips),
    }


def machine(config: Config) -> dict[str, Any]:
    cpu = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo"), re.MULTILINE)
    memory = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), re.MULTILINE)
    with connect(config.database_url) as connection:
        row = connection.execute("SHOW server_version").fetchone()
        settings = {
            name: str((connection.execute(f"SHOW {name}").fetchone() or [""])[0])
            for name in POSTGRES_SETTINGS
        }
        reference = speed_reference(connection)
    versions = {name: importlib.metadata.version(name) for name in ("django", "gunicorn", "psycopg")}
    return {
        "cores": os.cpu_count(),
        "cpu": cpu[1].strip() if cpu else platform.processor(),
        "memory_gb": round(int(memory[1]) / 1024 / 1024, 1) if memory else None,
        "os": platform.platform(),
        "postgresql": row[0] if row else "",
        "postgresql_settings": settings,
        "python": sys.version.split()[0],
        **versions,
        "load_average": os.getloadavg(),
        "speed_reference": reference,
    }


def write_json(config: Config, results: dict[str, Any]) -> Path:
    config.results.mkdir(parents=True, exist_ok=True)
    path = config.results / f"{results['started'].replace(':', '').replace('-', '')[:15]}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def _workers(config: dict[str, Any]) -> str:
    if config.get("worker_class") == "gthread":
        return f"{config['workers']} gthread workers × {config['threads']} threads"
    return f"{config['workers']} {config.get('worker_class', 'sync')} workers"


def _reference(m: dict[str, Any]) -> str:
    """The speed reference's sentence (runs before it was measured have none)."""
    reference = m.get("speed_reference")
    if not reference:
        return ""
    python = reference["python_ns"]
    return (
        f" **Speed reference** (fixed work, to compare machines): Python `{reference['python_statement']}` "
        f"{python['median']:,.0f} ns (9 samples, {python['min']:,.0f} to {python['max']:,.0f}), "
        f"PostgreSQL `SELECT 1` round trip {reference['select_1_ms']:.3f} ms."
    )


def _minutes(started: str, finished: str) -> str:
    seconds = (dt.datetime.fromisoformat(finished) - dt.datetime.fromisoformat(started)).total_seconds()
    return f"{seconds / 60:.1f}"


def _loads(results: dict[str, Any]) -> str:
    seen = [load for case in results["cases"] for load in case.get("load_average", ())]
    if not seen:
        return f"{results['load_start'][0]:.2f} at start"
    return f"{results['load_start'][0]:.2f} at start, {min(seen):.2f} to {max(seen):.2f} while measuring"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _verdict(case: dict[str, Any]) -> str:
    if case["status"] != "measured":
        return case["status"]
    if case.get("rate_target") is not None and case.get("units_per_s") is not None:
        rate, goal = case["units_per_s"], case["rate_target"]
        if rate >= goal:
            return f"met ({rate:,.0f}/s for ≥ {goal:,.0f}/s)"
        return f"**missed: {rate:,.0f}/s for ≥ {goal:,.0f}/s** (×{goal / rate:.1f} short)"
    if case["target_p95_ms"] is None:
        return "no target"
    p95, target = case["server_ms"]["p95"], case["target_p95_ms"]
    if case["met"]:
        return f"met ({target - p95:,.1f} ms to spare)"
    return f"**missed by {p95 - target:,.1f} ms** (×{p95 / target:.1f})"


def markdown(results: dict[str, Any]) -> str:
    m, data, phases = results["machine"], results["data"], results["phases"]
    setup = results["setup"]
    tables = data["tables"]
    lines = [
        START,
        f"## Latest run: {results['started'][:16].replace('T', ' ')} UTC, scale {results['config']['scale']:g}",
        "",
        f"**Machine**: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB of memory, {m['os']}; "
        f"PostgreSQL {m['postgresql']} (shared_buffers {m['postgresql_settings']['shared_buffers']}, "
        f"work_mem {m['postgresql_settings']['work_mem']}, server defaults); Python {m['python']}, "
        f"Django {m['django']}, gunicorn {m['gunicorn']} ({_workers(results['config'])}), "
        f"psycopg {m['psycopg']}. 1-minute load average {_loads(results)} "
        f"(near or above {m['cores']}, the number of cores, other work competed with the run)."
        + _reference(m),
        "",
        "**Data**: "
        + ", ".join(
            f"{name.removeprefix('servicedesk_').removeprefix('registry_').removeprefix('people_')} "
            f"{info['rows']:,} rows ({info['bytes'] / 1e9:,.2f} GB)"
            for name, info in tables.items()
        )
        + f"; tickets over {results['config']['years']} years.",
        "",
        (
            "**Generation**: "
            + ", ".join(f"{name.replace('_', ' ')} {seconds:,.0f} s" for name, seconds in phases.items())
            + f"; in all {sum(phases.values()) / 60:,.1f} min (the whole run, measurements included, "
            f"{_minutes(results['started'], results['finished'])} min)."
            if phases
            else "**Generation**: none in this run (`--reuse`: the database loaded by an earlier run was "
            f"measured again; the whole run took {_minutes(results['started'], results['finished'])} min)."
        ),
        "",
        f"**Measured as** a member agent of “{setup['member']}” ({setup['member_tickets']:,} tickets, "
        f"{setup['member_open_tickets']:,} open; {setup['category_tickets']:,} in the category listed; "
        f"the search matches {setup.get('search_matches', 0):,}), "
        f"through a logged-in session and an API token of the same membership; the desk queue as the "
        f"service desk's agent. {results['config']['iterations']} timed requests per case after "
        f"{results['config']['warmup']} warm-up ones, one client at a time (concurrent load: below).",
        "",
        "| case | p50 ms | p95 ms | p99 ms | target p95 | result | queries | client p95 ms |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for case in (c for c in results["cases"] if c.get("group", "desk") != "hub"):
        server, client = case["server_ms"], case["client_ms"]
        target = case["target_p95_ms"]
        lines.append(
            f"| {case['title']} | {_ms(server.get('p50'))} | {_ms(server.get('p95'))} | {_ms(server.get('p99'))} "
            f"| {_ms(target) if target else '—'} | {_verdict(case)} | {case['queries_per_request'] or '—'} "
            f"| {_ms(client.get('p95'))} |"
        )
    lines += _hub(results)
    lines += load_section(results)
    lines += [
        "",
        "Slowest query of each page (time seen by the page, then EXPLAIN ANALYZE run in process after the "
        "timed requests):",
        "",
    ]
    for case in results["cases"]:
        if case["plans"]:
            plan = case["plans"][0]
            scans = f"; sequential scans: {', '.join(plan['seq_scans'])}" if plan["seq_scans"] else ""
            planning = next((line for line in plan["plan"] if line.startswith("Planning Time")), "")
            execution = next((line for line in plan["plan"] if line.startswith("Execution Time")), "")
            lines.append(f"- {case['name']}: {plan['ms']:.0f} ms in the page; {planning}, {execution}{scans}")
    lines += ["", f"Raw results: `bench/results/` (JSON, with every plan). {END}"]
    return "\n".join(lines) + "\n"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _hub(results: dict[str, Any]) -> list[str]:
    """The data hub's section: its data, the COPY rate, its cases with their throughput."""
    hub, loaded = results.get("hub"), results.get("hub_loaded")
    cases = [c for c in results["cases"] if c.get("group") == "hub"]
    if hub is None or not cases:
        return []
    copy_rate = loaded["copy_rows_per_s"] if loaded else None
    # The second reference: the same rows as one upsert, COPY into the history as it stands.
    live_rate = next((c.get("units_per_s") for c in cases if c["name"] == "history_copy_live"), None)
    lines = [
        "",
        "### Data hub",
        "",
        f"**Data**: {hub['entities']:,} sensors ({', '.join(hub['types'])}) in tenant “{hub['tenant']}”, "
        f"{hub['attributes_per_entity']} numeric attributes each every {hub['cadence_minutes']} min; history "
        f"≈ {hub['history_rows_estimate']:,} instances ({hub['history_bytes'] / 1e9:,.2f} GB, "
        f"{hub['history_partitions']} partitions) over {hub['history_days']:,} days "
        f"({hub['history_from'][:10]} to {hub['history_to'][:10]}).",
        "",
        (
            f"**Raw PostgreSQL COPY** of {loaded['copied']:,} of these rows into the partitioned history "
            f"table (its primary key, the series index, dropped, rebuilt after): {copy_rate:,.0f} rows/s; with the index "
            f"rebuilt and ANALYZE, {loaded['load_rows_per_s']:,.0f} rows/s."
            if loaded
            else "**Raw PostgreSQL COPY**: not measured in this run (`--reuse`)."
        ),
        "",
        (
            f"**COPY into the live history**, its key in place, of the rows one upsert writes "
            f"(`history_copy_live`, below): {live_rate:,.0f} rows/s, the least any writer of them pays. "
            "Rates are compared with both: “vs COPY” with the load's, which the issue's target is "
            "set against, “vs live” with this one."
            if live_rate
            else "**COPY into the live history**: not measured in this run."
        ),
        "",
        "| case | p50 ms | p95 ms | p99 ms | throughput (server time) | client wall | vs COPY | vs live | target | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for case in cases:
        server = case["server_ms"]
        rate = case.get("units_per_s")
        unit = f" {case['unit']}/s" if case.get("unit") else ""
        ratio = f"{rate / copy_rate:.2f}×" if rate and copy_rate else "—"
        live = (
            f"{rate / live_rate:.2f}×" if rate and live_rate and case["name"] != "history_copy_live" else "—"
        )
        if case.get("rate_target") is not None:
            target = f"≥ {case['rate_target']:,.0f}/s"
        elif case["target_p95_ms"] is not None:
            target = f"p95 ≤ {case['target_p95_ms']:,.0f} ms"
        else:
            target = "—"
        lines.append(
            f"| {case['title']} | {_ms(server.get('p50'))} | {_ms(server.get('p95'))} | {_ms(server.get('p99'))} "
            f"| {_rate(rate)}{unit if rate else ''} | {_rate(case.get('units_per_wall_s'))} | {ratio} | {live} "
            f"| {target} | {_verdict(case)} |"
        )
    return lines


def write_docs(path: Path, section: str) -> None:
    """Replace the results section of `path` (between the markers), or add it at the end."""
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    if START in current and END in current:
        before, rest = current.split(START, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        updated = before + section + ("\n" + after if after else "")
    else:
        updated = current.rstrip("\n") + "\n\n" + section
    path.write_text(updated)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
