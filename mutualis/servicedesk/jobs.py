"""The service desk's background tasks, imported by every process (see mutualis.jobs):
a worker runs a job by looking its task up by name."""

from datetime import timedelta

from mutualis.jobs import periodic, task

from . import services, sla
from .mail import notifications, outbound  # noqa: F401 - outbound registers servicedesk.send_email


@periodic("servicedesk.close_resolved", every=timedelta(hours=1))
@task("servicedesk.close_resolved", max_attempts=3)
def close_resolved() -> None:
    """Close tickets resolved longer ago than the operator's delay (DeskSettings)."""
    services.close_resolved()


@periodic("servicedesk.sla_sweep", every=timedelta(minutes=5))
@task("servicedesk.sla_sweep", max_attempts=3)
def sla_sweep() -> None:
    """Mark tickets near or past a deadline, apply escalation rules, tell those concerned.
    Running it twice is harmless: a warning or a breach is raised once per deadline."""
    notifications.notify_sla_alerts(sla.sweep())
