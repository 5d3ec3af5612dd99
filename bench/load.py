"""Concurrent load (issue 8, clause 3): N HTTP clients at once on the running server,
throughput and latency percentiles per case and per number of clients.

Each client is its own **process** (multiprocessing, spawned): Python threads share one
interpreter lock, and a client parsing responses in a thread would delay the others' clocks
on a 2-core machine. A client logs in (its own session, as a person would), warms up, waits
at a barrier with the others, then sends requests one after the other for a fixed time.
Latency is the client's wall time of a request (what a person waits for, queueing in the
server's backlog included); the server's own time (`%(D)s` of gunicorn's access log,
bench/server.py) is reported next to it. Throughput is the requests completed divided by
the wall time of the window. The clients' own CPU time is measured (`time.process_time()`
in each process) and reported as a share of the machine, as are the server's workers' and
PostgreSQL's, so a reader sees whether the load generator starved the server.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .client import CSRF_INPUT, Client
from .stats import spread

Say = Callable[[str], None]
CLK_TCK = os.sysconf("SC_CLK_TCK")
BARRIER_SECONDS = 300  # every client logged in and warmed up by then, or the case fails


@dataclass(frozen=True)
class Login:
    """How a client authenticates: a login form (`path`, its fields) or an API token."""

    path: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    token: str = ""


@dataclass(frozen=True)
class Step:
    """One HTTP request of an iteration; the i-th iteration takes `paths[i % len(paths)]`."""

    method: str
    paths: tuple[str, ...]
    form: tuple[tuple[str, Any], ...] | None = None
    payload: Any = None


@dataclass(frozen=True)
class LoadCase:
    """What one iteration is: usually one request; two for django-helpdesk's list, whose
    page is a shell filled by a second request (its DataTables JSON)."""

    name: str
    title: str
    system: str  # "mutualis" or "helpdesk"
    kind: str  # list, api_list, search, ticket, create, dashboard: what the ratios pair
    login: Login
    steps: tuple[Step, ...]
    target_ms: float | None = None
    note: str = ""


@dataclass
class LoadResult:
    case: LoadCase
    clients: int
    iterations: int = 0
    seconds: float = 0.0
    latency_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    server_ms: dict[str, list[float]] = field(default_factory=dict)  # by step tag
    client_cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    database_cpu_s: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        latency = spread(self.latency_ms)
        wall = self.seconds or 1e-9
        cores = os.cpu_count() or 1
        return {
            "name": self.case.name,
            "title": self.case.title,
            "system": self.case.system,
            "kind": self.case.kind,
            "clients": self.clients,
            "iterations": self.iterations,
            "seconds": round(self.seconds, 3),
            "throughput_per_s": self.iterations / wall if self.iterations else 0.0,
            "latency_ms": latency,
            "server_ms": {tag: spread(values) for tag, values in self.server_ms.items()},
            "http_statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "target_p95_ms": self.case.target_ms,
            "met": None
            if self.case.target_ms is None or not latency
            else latency["p95"] <= self.case.target_ms,
            # Shares of the whole machine (all cores) during the window.
            "cpu_share": {
                "clients": self.client_cpu_s / wall / cores if self.seconds else 0.0,
                "server": self.server_cpu_s / wall / cores if self.seconds else 0.0,
                "database": self.database_cpu_s / wall / cores if self.seconds else 0.0,
            },
            "load_average": self.load,
            "error": self.error,
            "note": self.case.note,
        }


def tag_of(case: LoadCase, clients: int, step: int) -> str:
    suffix = f".{step}" if len(case.steps) > 1 else ""
    return f"{case.name}@{clients}{suffix}"


def log_in(client: Client, login: Login) -> None:
    if not login.path:
        return
    page = client.request("GET", login.path, tag="login")
    found = CSRF_INPUT.search(page.body.decode())
    if found is None:
        raise RuntimeError(f"no CSRF token on {login.path}")
    answer = client.request(
        "POST", login.path, tag="login", form={**dict(login.fields), "csrfmiddlewaretoken": found[1]}
    )
    if answer.status != 302:
        raise RuntimeError(f"login at {login.path} refused (HTTP {answer.status})")


def iteration(client: Client, case: LoadCase, index: int, tags: Sequence[str]) -> tuple[int, float]:
    """The case's steps in order; the worst status and the summed wall time."""
    worst, seconds = 0, 0.0
    for step, tag in zip(case.steps, tags, strict=True):
        answer = client.request(
            step.method,
            step.paths[index % len(step.paths)],
            tag=tag,
            form=dict(step.form) if step.form is not None else None,
            payload=step.payload,
        )
        worst, seconds = max(worst, answer.status), seconds + answer.seconds
    return worst, seconds


def _client(
    port: int,
    case: LoadCase,
    clients: int,
    number: int,
    warmup: int,
    duration: float,
    barrier: Any,
    results: Any,
) -> None:
    """One client process: log in, warm up, wait for the others, then load."""
    try:
        client = Client("127.0.0.1", port, token=case.login.token)
        log_in(client, case.login)
        offset = number * 997  # each client walks its own part of the case's paths
        warm = [f"warmup-{case.name}"] * len(case.steps)
        for index in range(warmup):
            iteration(client, case, offset + index, warm)
    except Exception as exc:
        barrier.abort()
        results.put((number, [], 0.0, 0.0, f"{exc.__class__.__name__}: {exc}"))
        return
    barrier.wait(timeout=BARRIER_SECONDS)
    tags = [tag_of(case, clients, step) for step in range(len(case.steps))]
    samples: list[tuple[int, float]] = []
    cpu, started = time.process_time(), time.monotonic()
    deadline = started + duration
    index = warmup
    while time.monotonic() < deadline:
        samples.append(iteration(client, case, offset + index, tags))
        index += 1
    results.put((number, samples, time.process_time() - cpu, time.monotonic() - started, ""))


def _ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks (proc(5), /proc/pid/stat fields 14, 15)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found


def _backends(database: str) -> list[int]:
    """PostgreSQL's backends serving `database` (their title names it, see `ps`)."""
    pattern = re.compile(rb"^postgres: .*? " + re.escape(database.encode()) + rb" ")
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if pattern.match((entry / "cmdline").read_bytes()):
                    pids.append(int(entry.name))
            except (FileNotFoundError, PermissionError, ProcessLookupError):
                continue
    return pids


class CpuMeter:
    """CPU seconds used between `start` and `stop` by a process tree and by a database's
    PostgreSQL backends (persistent connections: the same backends through the window)."""

    def __init__(self, server_pid: int | None, database: str) -> None:
        self.server_pid, self.database = server_pid, database
        self.before: dict[int, int] = {}

    def _pids(self) -> tuple[list[int], list[int]]:
        server = [self.server_pid, *_children(self.server_pid)] if self.server_pid else []
        return server, _backends(self.database)

    def start(self) -> None:
        server, database = self._pids()
        self.before = {pid: _ticks(pid) for pid in server + database}

    def stop(self) -> tuple[float, float]:
        server, database = self._pids()

        def used(pids: list[int]) -> float:
            return sum(max(0, _ticks(pid) - self.before.get(pid, 0)) for pid in pids) / CLK_TCK

        return used(server), used(database)


@dataclass
class Target:
    """The server under load: its port, its access log's times, its process and database."""

    port: int
    times: Callable[[], dict[str, list[tuple[int, float]]]]
    pid: int | None
    database: str


def run_load(
    target: Target,
    case: LoadCase,
    clients: int,
    *,
    warmup: int,
    duration: float,
    on_start: Callable[[], None] | None = None,
) -> LoadResult:
    """`on_start`: called when the clients have logged in and warmed up, as the timed
    window opens (a profiler started then sees only the window)."""
    result = LoadResult(case, clients)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(clients + 1)
    queue = context.Queue()
    processes = [
        context.Process(
            target=_client,
            args=(target.port, case, clients, number, warmup, duration, barrier, queue),
            daemon=True,
        )
        for number in range(clients)
    ]
    for process in processes:
        process.start()
    meter = CpuMeter(target.pid, target.database)
    before = os.getloadavg()[0]
    # A broken barrier: a client failed, and its report says why.
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(timeout=BARRIER_SECONDS)
    meter.start()
    if on_start is not None:
        on_start()
    answers = [queue.get(timeout=BARRIER_SECONDS + duration + 600) for _ in processes]
    result.server_cpu_s, result.database_cpu_s = meter.stop()
    result.load = (before, os.getloadavg()[0])
    for process in processes:
        process.join(timeout=30)
    errors = [error for *_rest, error in answers if error]
    if errors:
        result.error = errors[0]
        return result
    for _number, samples, cpu, seconds, _error in answers:
        result.client_cpu_s += cpu
        result.seconds = max(result.seconds, seconds)
        for status, wall in samples:
            result.statuses[status] = result.statuses.get(status, 0) + 1
            result.latency_ms.append(wall * 1000)
    result.iterations = len(result.latency_ms)
    result.server_ms = _server_times(target, case, clients, result.iterations)
    if any(status >= 400 for status in result.statuses):
        result.error = f"HTTP statuses {result.statuses}"
    return result


def _server_times(target: Target, case: LoadCase, clients: int, expected: int) -> dict[str, list[float]]:
    tags = [tag_of(case, clients, step) for step in range(len(case.steps))]
    deadline = time.monotonic() + 10
    while True:
        logged = target.times()
        found = {tag: [ms for _status, ms in logged.get(tag, [])] for tag in tags}
        if all(len(v) >= expected for v in found.values()) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def form_fields(values: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(values.items()))


def csrf_of(client: Client, path: str) -> str:
    page = client.request("GET", path, tag="setup")
    found = CSRF_INPUT.search(page.body.decode())
    return found[1] if found else ""
