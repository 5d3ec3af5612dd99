"""Running the cases: warm-up, timed iterations, the server's own times, percentiles, and
the query plans (EXPLAIN ANALYZE, BUFFERS) of each page's slowest queries."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.db import connection
from django.test import Client as InProcess
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve

from mutualis.demo.logins import DEMO_PASSWORD
from mutualis.people.models import User

from .cases import Case, Setup
from .client import Client
from .server import Server
from .stats import spread

Say = Callable[[str], None]
EXPLAINED_QUERIES = 2  # the slowest queries of a page, explained
LOG_WAIT_SECONDS = 10
# A sequential scan of a small table (kinds, teams, categories) is the right plan; one of
# these tables, which grow with the tickets, is what an index should have avoided.
BIG_TABLE_SCAN = re.compile(
    r"Seq Scan on (servicedesk_ticket|servicedesk_ticketevent|servicedesk_comment|servicedesk_ticket_assets"
    r"|registry_asset|datahub_attributeinstance\w*|datahub_entity)\b"
)


@dataclass
class Outcome:
    case: Case
    status: str = "measured"  # or "not available" (no such route yet), "failed"
    server_ms: list[float] = field(default_factory=list)
    client_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    queries: int | None = None
    plans: list[dict[str, Any]] = field(default_factory=list)
    detail: str = ""
    # The machine's 1-minute load average before and after: above the number of cores,
    # something else competed for the processors while the case ran.
    load: tuple[float, float] = (0.0, 0.0)

    def as_dict(self) -> dict[str, Any]:
        server, client = spread(self.server_ms), spread(self.client_ms)
        target = self.case.target_ms
        p95 = server.get("p95")
        units = self.case.units * len(self.server_ms)
        # Throughput in the server's time (requests one after the other: what the hub
        # sustains), and as the client saw it (wall time, its own work included).
        server_seconds = sum(self.server_ms) / 1000
        rate = units / server_seconds if self.case.unit and server_seconds else None
        wall_rate = units / self.seconds if self.case.unit and self.seconds else None
        if (self.case.clients or 1) > 1:
            rate = wall_rate  # concurrent requests: their server times overlap
        rate_target = self.case.rate_target
        met = None if target is None or p95 is None else p95 <= target
        if rate_target is not None and rate is not None:
            met = rate >= rate_target if met is None else met and rate >= rate_target
        return {
            "name": self.case.name,
            "title": self.case.title,
            "method": self.case.method,
            "group": self.case.group,
            "status": self.status,
            "detail": self.detail,
            "iterations": len(self.server_ms),
            "http_statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "server_ms": server,
            "client_ms": client,
            "throughput_per_s": len(self.server_ms) / self.seconds if self.seconds else None,
            "queries_per_request": self.queries,
            "target_p95_ms": target,
            "units_per_request": self.case.units,
            "unit": self.case.unit,
            "units_per_s": rate,
            "units_per_wall_s": wall_rate,
            "rate_target": rate_target,
            "met": met,
            "margin_ms": None if target is None or p95 is None else round(target - p95, 2),
            "plans": self.plans,
            "load_average": self.load,
            "clients": self.case.clients or 1,
        }


# What a request carries: a form, or a JSON document already encoded.
Body = dict[str, Any] | bytes | None


def prepare(case: Case, index: int) -> Body:
    """The body of the case's request `index`, ready to send."""
    if case.body is None:
        return None
    body = case.body(index)
    return json.dumps(body).encode() if case.json else body


def routed(path: str) -> bool:
    """Whether the application has a view at `path` (the API routes arrive in parts)."""
    try:
        resolve(urlsplit(path).path)
    except Resolver404:
        return False
    return True


class Runner:
    def __init__(
        self, server: Server, setup: Setup, *, iterations: int, warmup: int, clients: int, say: Say
    ) -> None:
        self.server, self.setup, self.say = server, setup, say
        self.iterations, self.warmup, self.clients = iterations, warmup, clients

    def client(self, who: str) -> Client:
        client = Client("127.0.0.1", self.server.port, token=self.setup.token if who == "token" else "")
        if who == "member":
            client.login(self.setup.user.email, DEMO_PASSWORD)
        elif who == "desk":
            client.login(self.setup.desk_email, DEMO_PASSWORD)
        return client

    def run(self, case: Case) -> Outcome:
        before = os.getloadavg()[0]
        outcome = self._run(case)
        outcome.load = (before, os.getloadavg()[0])
        return outcome

    def _run(self, case: Case) -> Outcome:
        outcome = Outcome(case)
        if case.method == "CALL":
            return self._call(outcome)
        if not routed(case.path(0)):
            outcome.status, outcome.detail = (
                "not available",
                f"no route for {urlsplit(case.path(0)).path} yet",
            )
            return outcome
        iterations = min(case.iterations or self.iterations, self.iterations)
        # A slow case (seconds a request) warms up on a fifth of its requests at most.
        warmup = self.warmup if case.iterations is None else min(self.warmup, max(1, iterations // 5))
        count = case.clients or self.clients
        clients = [self.client(case.who) for _ in range(count)]
        # Warm-up through every client (each its share), one after the other.
        for index in range(max(warmup, count if warmup else 0)):
            self._send(clients[index % count], case, index, "warmup", prepare(case, index))
        # The timed requests' bodies are made before the clock starts: making and encoding
        # one (a megabyte of JSON for the hub's batches) is the client's work, and on this
        # machine it would take the cores the server's workers need (a client of the real
        # service runs elsewhere). Made in index order, as `body(i)` may hand out instants.
        bodies = [prepare(case, index) for index in range(iterations)]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=count) as pool:
            # Client k sends requests k, k + count, k + 2 × count…: `body(i)` knows its client.
            answers = list(
                pool.map(
                    lambda pair: [
                        self._send(pair[1], case, index, case.name, bodies[index])
                        for index in range(pair[0], iterations, count)
                    ],
                    enumerate(clients),
                )
            )
        outcome.seconds = time.monotonic() - started
        for status, seconds in (a for batch in answers for a in batch):
            outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
            outcome.client_ms.append(seconds * 1000)
        outcome.server_ms = self._server_times(case.name, len(outcome.client_ms))
        # 207 (a batch's partial success) is a failure too: the case counts every instance
        # of its batch as written (a body the hub partly refused once inflated a rate).
        if any(status >= 400 or status == 207 for status in outcome.statuses):
            outcome.status = "failed"
            outcome.detail = f"HTTP statuses {outcome.statuses}"
        if case.method == "GET":
            self._explain(outcome)
        return outcome

    def _server_times(self, tag: str, expected: int) -> list[float]:
        """The server's times of the case's requests: gunicorn logs a request after it has
        sent the response, so the last lines may land a moment after the client is done."""
        deadline = time.monotonic() + LOG_WAIT_SECONDS
        while True:
            found = [ms for _status, ms in self.server.times().get(tag, [])]
            if len(found) >= expected or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def _send(self, client: Client, case: Case, index: int, tag: str, body: Body) -> tuple[int, float]:
        answer = client.request(
            case.method,
            case.path(index),
            tag=tag,
            form=body if isinstance(body, dict) else None,
            data=body if isinstance(body, bytes) else None,
        )
        return answer.status, answer.seconds

    def _call(self, outcome: Outcome) -> Outcome:
        call = outcome.case.call
        assert call is not None, f"{outcome.case.name}: a CALL case names its call"
        iterations = min(outcome.case.iterations or self.iterations, self.iterations)
        warmup = min(self.warmup, max(1, iterations // 5))
        for index in range(warmup + iterations):
            started = time.perf_counter()
            call(index)
            elapsed = (time.perf_counter() - started) * 1000
            if index >= warmup:
                outcome.server_ms.append(elapsed)
                outcome.seconds += elapsed / 1000
        outcome.detail = "wall time of the call in the bench process, same database connection settings"
        return outcome

    def _explain(self, outcome: Outcome) -> None:
        """The page once more, in process, its queries captured; the slowest explained."""
        case = outcome.case
        client = InProcess(HTTP_HOST="127.0.0.1")
        headers: dict[str, str] = {}
        if case.who == "token":
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.setup.token}"
        else:
            email = self.setup.user.email if case.who == "member" else self.setup.desk_email
            client.force_login(User.objects.get(email=email))
        with CaptureQueriesContext(connection) as captured:
            client.get(case.path(0), **headers)  # type: ignore[arg-type]
        outcome.queries = len(captured.captured_queries)
        slowest = sorted(captured.captured_queries, key=lambda q: float(q["time"]), reverse=True)
        with connection.cursor() as cursor:
            for query in [q for q in slowest if q["sql"].lstrip().upper().startswith("SELECT")][
                :EXPLAINED_QUERIES
            ]:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                plan = [row[0] for row in cursor.fetchall()]
                outcome.plans.append(
                    {
                        "sql": query["sql"],
                        "ms": float(query["time"]) * 1000,
                        "plan": plan,
                        "seq_scans": [line.strip() for line in plan if BIG_TABLE_SCAN.search(line)],
                    }
                )
