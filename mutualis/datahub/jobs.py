"""The data hub's periodic work, imported by every process (see mutualis.jobs)."""

from datetime import timedelta

from mutualis.jobs import periodic, task

from . import partitions


@periodic("datahub.partitions", every=timedelta(days=1))
@task("datahub.partitions", max_attempts=3)
def prepare_partitions() -> None:
    """Create the history's monthly partitions ahead of time (PostgreSQL; nothing on SQLite),
    so that observations land in their month's partition rather than the default one."""
    partitions.ensure_upcoming_partitions()
