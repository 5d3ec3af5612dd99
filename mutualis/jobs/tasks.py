"""The queue's own housekeeping, run by the workers like any periodic task."""

from __future__ import annotations

import logging
from datetime import timedelta

from mutualis.lib.planner_statistics import refresh_statistics

from .queue import purge_done
from .registration import periodic, task

logger = logging.getLogger("mutualis.jobs")


@periodic("jobs.purge_done", every=timedelta(days=1))
@task("jobs.purge_done", max_attempts=3)
def purge_done_jobs() -> None:
    """Delete done jobs older than JOBS_KEEP_DONE_DAYS; failed ones stay until retried."""
    deleted = purge_done()
    logger.info("Purged %s done job(s).", deleted)


# Not named jobs.*: it keeps the database's planner statistics, not the queue. Every six
# hours: SQLite's documentation suggests "every few hours" for long-running applications.
@periodic("database.planner_statistics", every=timedelta(hours=6))
@task("database.planner_statistics", max_attempts=3)
def planner_statistics() -> None:
    """SQLite's planner statistics kept current (mutualis.lib.planner_statistics)."""
    statement = refresh_statistics()
    if statement:
        logger.info("Planner statistics refreshed (%s).", statement)
