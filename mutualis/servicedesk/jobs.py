"""The service desk's background tasks, imported by every process (see mutualis.jobs):
a worker runs a job by looking its task up by name."""

from datetime import timedelta

from mutualis.jobs import periodic, task

from . import services, sla
from .mail import notifications, outbound  # noqa: F401 - outbound registers servicedesk.send_email
from .services import files


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


# Three attempts, 20 s apart then 40 s: a photo that cannot be decoded fails the same way
# each time (its attachment already marked failed), so the job ends `failed`, counted by
# jobs_status, within a minute; an attempt cut short by the database is tried again.
@task(files.CONVERT_PHOTO, max_attempts=3, retry_delay=timedelta(seconds=20))
def convert_photo(*, attachment_id: int) -> None:
    """Convert a HEIC photo kept aside at upload to JPEG without its metadata, delete the
    original (services/files.py). Running it twice is harmless."""
    files.convert_photo(attachment_id=attachment_id)
