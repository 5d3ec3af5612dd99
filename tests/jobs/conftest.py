"""Test tasks, registered for one test at a time: the registry is restored afterwards, so
that no test task (above all no periodic one) leaks into another part's `run_pending`.

The concurrency tests need the real PostgreSQL server (SELECT … FOR UPDATE SKIP LOCKED):
they are collected only when the suite runs on PostgreSQL, never skipped once collected,
as tests/bench does."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from mutualis.jobs import registration, task

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))

collect_ignore_glob = [] if ON_POSTGRES else ["test_postgres*.py"]


@dataclass
class Calls:
    """What the test tasks were called with, from any thread."""

    seen: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kwargs: dict[str, Any]) -> None:
        with self.lock:
            self.seen.append(kwargs)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """A fresh registry with the jobs app's own tasks plus `tests.record` (notes its
    arguments) and `tests.boom` (always raises, 3 attempts, 30 s then 60 s apart)."""
    monkeypatch.setattr(registration, "_tasks", dict(registration._tasks))
    # Only the jobs app's own periodic tasks: other parts' (the service desk's sweeps) would
    # add occurrences to the counts these tests check.
    own = {name: every for name, every in registration._periodic.items() if name.startswith("jobs.")}
    monkeypatch.setattr(registration, "_periodic", own)
    recorded = Calls()

    @task("tests.record")
    def record(**kwargs: Any) -> None:
        recorded.add(kwargs)

    @task("tests.boom", max_attempts=3, retry_delay=timedelta(seconds=30))
    def boom(**kwargs: Any) -> None:
        recorded.add(kwargs)
        raise RuntimeError("the printer is on fire")

    return recorded
