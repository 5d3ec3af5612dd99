"""System checks of the jobs' settings (Django's check framework), run by `mutualis worker`,
`runserver`, `migrate` and `check`: a per-task time limit that cannot be read, or that names
a task no app declares, stops the start with a message naming it, rather than leaving the
task on another limit than the operator believes."""

from __future__ import annotations

import difflib
from typing import Any

from django.core.checks import CheckMessage, Error, register

from .registration import TimeLimitsError, configured_time_limits, task_names

# The check ids of this app (SILENCED_SYSTEM_CHECKS takes them).
E_TIME_LIMITS = "jobs.E001"
E_TIME_LIMITS_TASK = "jobs.E002"

_HINT = (
    "Set MUTUALIS_JOBS_TIME_LIMITS as task=seconds pairs separated by commas, e.g. "
    '"servicedesk.sla_sweep=120,insights.forecast=3600".'
)


@register("jobs")
def check_time_limits(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """JOBS_TIME_LIMITS gives positive numbers of seconds to tasks that exist."""
    try:
        configured = configured_time_limits()
    except TimeLimitsError as exc:
        return [Error(str(exc), hint=_HINT, id=E_TIME_LIMITS)]
    known = task_names()
    errors: list[CheckMessage] = []
    for name in sorted(set(configured) - set(known)):
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        errors.append(
            Error(
                f"JOBS_TIME_LIMITS names the task {name!r}, which no installed app declares: its limit "
                "would never apply.",
                hint=f"Did you mean {close[0]!r}?" if close else f"The tasks are: {', '.join(known)}.",
                id=E_TIME_LIMITS_TASK,
            )
        )
    return errors
