"""The queue's own housekeeping, run by the workers like any periodic task."""

from __future__ import annotations

import logging
from datetime import timedelta

from .queue import purge_done
from .registration import periodic, task

logger = logging.getLogger("mutualis.jobs")


@periodic("jobs.purge_done", every=timedelta(days=1))
@task("jobs.purge_done", max_attempts=3)
def purge_done_jobs() -> None:
    """Delete done jobs older than JOBS_KEEP_DONE_DAYS; failed ones stay until retried."""
    deleted = purge_done()
    logger.info("Purged %s done job(s).", deleted)
