"""Profiles of a Mutualis desk path under load (issue 8, clause 5): where the gunicorn
workers spend their time (py-spy, sampling every worker from outside, so the application
runs unchanged) and which statements PostgreSQL spends it on (its own log of every
statement's duration, switched on for the bench database only, for the profiled window).

`python -m bench --profile CASE` runs it after the load phase: the server is restarted so
that its new connections take the logging setting, the case is loaded at the run's highest
concurrency level, and the summaries (heaviest functions, heaviest statements) go to the
JSON; the raw py-spy samples are kept next to it.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from psycopg import sql

from . import helpdesk_env
from .config import Config
from .database import connect
from .load import LoadCase, Target, run_load
from .server import Server

Say = Callable[[str], None]
SAMPLES_PER_S = 200
TOP = 15
# "… user@database LOG:  duration: 1.234 ms  execute <name>: SELECT …" (log_line_prefix
# of Debian's default, '%m [%p] %q%u@%d '); a statement's later lines start with a tab.
# With the extended protocol each statement is logged at parse, bind (where a generic or
# custom plan is made) and execute: their times add up, only executions count as calls.
DURATION = re.compile(r"@(\S+) LOG:  duration: ([\d.]+) ms  (statement|execute|parse|bind)[^:]*: (.*)")


def _log_file(config: Config) -> Path:
    with connect(config.database_url) as connection:
        row = connection.execute(
            "SELECT pg_current_logfile(), current_setting('server_version_num')"
        ).fetchone()
    assert row is not None
    current, version = row
    if current:
        return Path(current)
    # No logging collector (Debian's default): pg_ctlcluster sends the server's output here.
    return Path(f"/var/log/postgresql/postgresql-{int(version) // 10000}-main.log")


def _statement_logging(config: Config, on: bool) -> None:
    with connect(config.database_url, dbname="postgres", autocommit=True) as admin:
        name = sql.Identifier(config.database)
        if on:
            admin.execute(sql.SQL("ALTER DATABASE {} SET log_min_duration_statement = 0").format(name))
        else:
            admin.execute(sql.SQL("ALTER DATABASE {} RESET log_min_duration_statement").format(name))


def profile(config: Config, server: Server, case: LoadCase, say: Say) -> dict[str, Any]:
    clients = max(config.clients)
    log = _log_file(config)
    raw = config.results / f"profile-{case.name}-{clients}.txt"
    config.results.mkdir(parents=True, exist_ok=True)
    _statement_logging(config, True)
    try:
        server.stop()
        server.start()  # new connections: they take the database's logging setting
        spies: list[subprocess.Popen[bytes]] = []
        offsets: list[int] = []

        def start() -> None:
            offsets.append(log.stat().st_size if log.exists() else 0)
            spies.append(
                subprocess.Popen(
                    [str(helpdesk_env.py_spy()), "record", "--pid", str(server.pid), "--subprocesses", "--rate",
                     str(SAMPLES_PER_S), "--duration", str(int(config.load_seconds)), "--format", "raw",
                     "--output", str(raw), "--nonblocking"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )  # fmt: skip

        target = Target(server.port, server.times, server.pid, config.database)
        result = run_load(
            target, case, clients, warmup=config.load_warmup, duration=config.load_seconds, on_start=start
        )
        (spy,) = spies
        _out, err = spy.communicate(timeout=config.load_seconds + 120)
        statements = _statements(log, offsets[0], config.database)
    finally:
        _statement_logging(config, False)
    samples = _samples(raw) if raw.exists() else Counter()
    outcome = result.as_dict()
    say(
        f"profile {case.name} × {clients}: {outcome['throughput_per_s']:.1f}/s, "
        f"{sum(samples.values()):,} samples, {sum(s['calls'] for s in statements):,} statements logged"
    )
    return {
        "case": case.name,
        "clients": clients,
        "load": outcome,
        "py_spy": {
            "raw": str(raw),
            "errors": err.decode()[-500:] if spy.returncode else "",
            **_summary(samples),
        },
        "statements": statements[:TOP],
        "statements_total_ms": sum(s["total_ms"] for s in statements),
        "statements_calls": sum(s["calls"] for s in statements),
    }


def _samples(raw: Path) -> Counter[str]:
    """py-spy's raw format: one stack a line, frames joined by ';', then the sample count."""
    stacks: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _sep, count = line.rpartition(" ")
        if count.isdigit():
            stacks[stack] += int(count)
    return stacks


def _frame(frame: str) -> str:
    """`function (path/to/module.py:line)` without the line, and the path from the package."""
    name, _sep, place = frame.partition(" (")
    path = place.rstrip(")").rsplit(":", 1)[0]
    for root in ("site-packages/", "/work/main/"):
        if root in path:
            path = path.split(root, 1)[1]
    return f"{name} ({path})"


def _summary(stacks: Counter[str]) -> dict[str, Any]:
    """Self time (the frame on top) and inclusive time of the application's own frames."""
    total = sum(stacks.values()) or 1
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for stack, count in stacks.items():
        frames = [_frame(f) for f in stack.split(";") if f]
        # Idle sync workers sit in gunicorn's select loop: not request work.
        if not frames or any("sleep (gunicorn" in f or "wait (gunicorn" in f for f in frames[-2:]):
            continue
        own[frames[-1]] += count
        for frame in set(frames):
            if frame.split(" (", 1)[1].startswith("mutualis/"):
                inclusive[frame] += count
    busy = sum(own.values()) or 1
    return {
        "samples": total,
        "busy_samples": busy,
        "self": [{"frame": f, "share": n / busy} for f, n in own.most_common(TOP)],
        "mutualis_inclusive": [{"frame": f, "share": n / busy} for f, n in inclusive.most_common(TOP)],
    }


def _statements(log: Path, offset: int, database: str) -> list[dict[str, Any]]:
    """Statements of the window from PostgreSQL's log, by text (parameters are $n with
    server-side binding, so one text is one statement), heaviest total first."""
    if not log.exists():
        return []
    with log.open("rb") as handle:
        handle.seek(offset)
        text = handle.read().decode(errors="replace")
    totals: dict[str, list[float]] = {}
    calls: Counter[str] = Counter()
    current: list[str] | None = None
    duration, phase = 0.0, ""

    def close() -> None:
        if current is not None:
            key = " ".join(" ".join(current).split())[:400]
            totals.setdefault(key, []).append(duration)
            calls[key] += phase in ("statement", "execute")

    for line in text.splitlines():
        if line.startswith("\t") and current is not None:
            current.append(line.strip())
            continue
        close()
        current = None
        found = DURATION.search(line)
        if found and found[1] == database:
            duration, phase, current = float(found[2]), found[3], [found[4]]
    close()
    ranked = sorted(totals.items(), key=lambda item: sum(item[1]), reverse=True)
    return [
        {
            "statement": key,
            "calls": calls[key],
            "total_ms": sum(times),
            "mean_ms": sum(times) / max(calls[key], 1),
        }
        for key, times in ranked
    ]
