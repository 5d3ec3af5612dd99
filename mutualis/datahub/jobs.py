"""The data hub's periodic work, imported by every process (see mutualis.jobs)."""

import logging
from datetime import timedelta

from mutualis.jobs import periodic, task

from . import partitions
from .ingestion.retention import purge_dead_letters

logger = logging.getLogger(__name__)


@periodic("datahub.partitions", every=timedelta(days=1))
@task("datahub.partitions", max_attempts=3)
def prepare_partitions() -> None:
    """Create the history's monthly partitions ahead of time (PostgreSQL; nothing on SQLite),
    so that observations land in their month's partition rather than the default one."""
    partitions.ensure_upcoming_partitions()


@periodic("datahub.purge_dead_letters", every=timedelta(days=1))
@task("datahub.purge_dead_letters", max_attempts=3)
def purge_old_dead_letters() -> None:
    """Delete the rejected messages not received for DATAHUB_DEAD_LETTER_KEEP_DAYS."""
    deleted = purge_dead_letters()
    logger.info("Purged %s dead letter(s).", deleted)
