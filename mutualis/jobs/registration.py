"""The tasks this process knows: declared at import time by `@task` and `@periodic`.

A worker runs a job by looking its name up here, so every process must import the same
modules: `JobsConfig.ready()` imports the `jobs.py` and `tasks.py` of every installed app,
as Django's admin imports `admin.py`. Nothing here touches the database.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Task:
    name: str
    func: Callable[..., Any]
    max_attempts: int
    retry_delay: timedelta
    # None: the platform's default, JOBS_TIME_LIMIT_SECONDS, read when the job runs.
    time_limit: timedelta | None = None

    @property
    def path(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"

    def delay_before(self, attempt: int) -> timedelta:
        """Exponential backoff: the wait after failed attempt n is retry_delay × 2^(n-1)."""
        return self.retry_delay * 2 ** max(attempt - 1, 0)

    def limit(self) -> timedelta:
        """How long one attempt may run in a worker before it is timed out (docs/jobs.md):
        the operator's JOBS_TIME_LIMITS for this task, else the task's own `time_limit`,
        else JOBS_TIME_LIMIT_SECONDS."""
        configured = configured_time_limits().get(self.name)
        if configured is not None:
            return configured
        return self.time_limit if self.time_limit is not None else default_time_limit()


def default_time_limit() -> timedelta:
    return timedelta(seconds=settings.JOBS_TIME_LIMIT_SECONDS)


class TimeLimitsError(ValueError):
    """JOBS_TIME_LIMITS cannot be read; the message names the entry and what to write."""


def _seconds(name: str, value: object) -> timedelta:
    """A limit of JOBS_TIME_LIMITS: seconds as a number, or as text from the environment."""
    try:
        if isinstance(value, bool):
            raise TypeError  # True would read as 1 s
        seconds = float(value) if isinstance(value, str | int | float) else math.nan
    except (TypeError, ValueError):
        seconds = math.nan
    try:
        if not (math.isfinite(seconds) and seconds > 0):
            raise ValueError
        return timedelta(seconds=seconds)
    except (ValueError, OverflowError):  # OverflowError: beyond timedelta's 999,999,999 days
        raise TimeLimitsError(
            f"JOBS_TIME_LIMITS gives the task {name!r} the limit {value!r}, which is not a number of "
            "seconds greater than 0."
        ) from None


def configured_time_limits() -> dict[str, timedelta]:
    """JOBS_TIME_LIMITS, task name: limit (TimeLimitsError if an entry cannot be read; the
    system check `jobs.E001` reports that at start)."""
    configured = getattr(settings, "JOBS_TIME_LIMITS", None) or {}
    if not isinstance(configured, dict):
        raise TimeLimitsError(
            f"JOBS_TIME_LIMITS must map task names to seconds, not be a {type(configured).__name__}."
        )
    return {str(name): _seconds(str(name), value) for name, value in configured.items()}


_tasks: dict[str, Task] = {}
_periodic: dict[str, timedelta] = {}


def task(
    name: str,
    *,
    max_attempts: int = 5,
    retry_delay: timedelta = timedelta(seconds=30),
    time_limit: timedelta | None = None,
) -> Callable[[F], F]:
    """Register `func(**kwargs)` as the task `name`; `enqueue(name, **kwargs)` runs it later.

    `time_limit` is how long one attempt may run in a worker (default JOBS_TIME_LIMIT_SECONDS):
    past it the attempt is timed out, and retried like a failure while attempts remain.

    Declaring the same function again (a module imported twice, or `@task` stacked over
    `@periodic`) updates its options; another function under a taken name is an error, so
    that two parts cannot silently share a name.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1.")
    if retry_delay < timedelta(0):
        raise ValueError("retry_delay cannot be negative.")
    if time_limit is not None and time_limit <= timedelta(0):
        raise ValueError("time_limit must be positive.")

    def register(func: F) -> F:
        declared = Task(
            name=name, func=func, max_attempts=max_attempts, retry_delay=retry_delay, time_limit=time_limit
        )
        existing = _tasks.get(name)
        if existing is not None and existing.path != declared.path:
            raise ValueError(f"The task name {name!r} is already used by {existing.path}.")
        _tasks[name] = declared
        return func

    return register


def periodic(name: str, *, every: timedelta) -> Callable[[F], F]:
    """Run the task `name` every `every`, once per occurrence whatever the number of workers.

    Either decorate the task's function (it is registered with the default options unless
    `@task` declares it too) or call `periodic("name", every=…)` for a task declared elsewhere.
    """
    if every <= timedelta(0):
        raise ValueError("A periodic task needs a positive interval.")
    _periodic[name] = every

    def register(func: F) -> F:
        if name not in _tasks:
            task(name)(func)
        return func

    return register


def get_task(name: str) -> Task:
    try:
        return _tasks[name]
    except KeyError:
        raise ValueError(f"No task is registered under the name {name!r}.") from None


def task_names() -> list[str]:
    return sorted(_tasks)


def periodic_tasks() -> dict[str, timedelta]:
    return dict(_periodic)


def check_periodic_tasks() -> None:
    """Every periodic declaration names a registered task (run once all apps are imported)."""
    missing = sorted(set(_periodic) - set(_tasks))
    if missing:
        raise ValueError(f"Periodic tasks without a registered task: {', '.join(missing)}.")
