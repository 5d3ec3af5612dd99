"""The data hub's periodic work, imported by every process (see mutualis.jobs)."""

import logging
from datetime import timedelta

from mutualis.jobs import periodic, task

from . import partitions
from .alerts import kept_tickets
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


@periodic(kept_tickets.FORGET_TASK, every=timedelta(days=1))
@task(kept_tickets.FORGET_TASK, max_attempts=3)
def forget_deleted_sensor_tickets() -> None:
    """Forget the open tickets kept for deleted sensors that no sensor created again can go
    on with any more: closed or cancelled, or the sensor gone longer than
    DATAHUB_DELETED_SENSOR_TICKET_KEEP_DAYS. Daily: a row left a day longer is never used
    (the lookup checks the same), only kept; running twice finds nothing more."""
    kept_tickets.forget_spent()
