"""How long rejected messages (dead letters) are kept: DATAHUB_DEAD_LETTER_KEEP_DAYS after
they were last received (a letter still being redelivered stays), then purged by the
daily `datahub.purge_dead_letters` job. 0 keeps them until deleted by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mutualis.datahub.models import DeadLetter

# Deleted by batches of this many, each in its own transaction: a noisy device's months of
# letters are not one long transaction holding locks the ingestion waits on.
PURGE_BATCH = 5000


def keep_days() -> int:
    return int(settings.DATAHUB_DEAD_LETTER_KEEP_DAYS)


def purge_dead_letters(*, now: datetime | None = None) -> int:
    """Delete the letters last received before the retention window; return how many.

    By `last_seen_at`, which has no index: read once a day, a scan of the letters costs
    less than an index every repeat would have to update."""
    days = keep_days()
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(
                DeadLetter.objects.filter(last_seen_at__lt=cutoff).values_list("pk", flat=True)[:PURGE_BATCH]
            )
            if not batch:
                return deleted
            deleted += DeadLetter.objects.filter(pk__in=batch).delete()[0]
