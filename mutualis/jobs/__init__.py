"""Background jobs in the database we already have: no broker, no extra server.

    from mutualis.jobs import enqueue, periodic, run_pending, task

    @task("servicedesk.send_notification", max_attempts=5)
    def send_notification(*, ticket_id: int) -> None: ...

    enqueue("servicedesk.send_notification", ticket_id=ticket.pk, operator_id=ticket.operator_id)

See docs/jobs.md for what the queue guarantees and how workers run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .registration import periodic, task

if TYPE_CHECKING:
    from .models import Job, JobState, Schedule
    from .queue import enqueue, enqueue_many
    from .runner import RunReport, run_pending

__all__ = [
    "Job",
    "JobState",
    "RunReport",
    "Schedule",
    "enqueue",
    "enqueue_many",
    "periodic",
    "run_pending",
    "task",
]

# Django imports this package (INSTALLED_APPS) before models can be defined; the names that
# need the models are loaded on first use.
_LAZY = {
    "Job": "models",
    "JobState": "models",
    "Schedule": "models",
    "enqueue": "queue",
    "enqueue_many": "queue",
    "RunReport": "runner",
    "run_pending": "runner",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
