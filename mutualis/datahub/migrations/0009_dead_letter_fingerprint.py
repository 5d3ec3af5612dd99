# A rejected message received again (a QoS 1 redelivery after a lost PUBACK) is the letter
# already kept, counted on it (times_seen, last_seen_at): unique fingerprint per operator.
# Letters kept twice before are merged here: the earliest stays, counting the others. The
# constraint comes in 0010: PostgreSQL alters no table with updates pending in the transaction.

import hashlib
import json
from collections import defaultdict

from django.db import migrations, models


def _fingerprint(letter, occurrence):
    # As mutualis.datahub.ingestion.receive.letter_fingerprint, frozen here.
    identity = [
        letter.tenant_id,
        letter.source,
        letter.topic,
        letter.payload,
        letter.reason,
        letter.detail,
        occurrence,
    ]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


def fingerprint_and_merge(apps, schema_editor):
    DeadLetter = apps.get_model("datahub", "DeadLetter")
    # Letters of one message were written together, at one `received_at`: the same refusal
    # twice at one instant is two readings of one message (occurrence 0, 1, …); at two
    # instants, the message received twice.
    occurrences = defaultdict(int)
    first = {}
    for letter in DeadLetter.objects.order_by("received_at", "pk").iterator(chunk_size=2000):
        key = (
            letter.operator_id,
            letter.received_at,
            letter.tenant_id,
            letter.source,
            letter.topic,
            letter.payload,
            letter.reason,
            letter.detail,
        )
        fingerprint = _fingerprint(letter, occurrences[key])
        occurrences[key] += 1
        kept = first.get((letter.operator_id, fingerprint))
        if kept is None:
            first[(letter.operator_id, fingerprint)] = [letter.pk, 1, letter.received_at]
            DeadLetter.objects.filter(pk=letter.pk).update(
                fingerprint=fingerprint, last_seen_at=letter.received_at
            )
        else:
            kept[1] += 1
            kept[2] = letter.received_at
            DeadLetter.objects.filter(pk=letter.pk).delete()
    for pk, times_seen, last_seen_at in first.values():
        if times_seen > 1:
            DeadLetter.objects.filter(pk=pk).update(times_seen=times_seen, last_seen_at=last_seen_at)


class Migration(migrations.Migration):
    dependencies = [
        ("datahub", "0008_redundant_fk_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="deadletter",
            name="fingerprint",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="deadletter",
            name="times_seen",
            field=models.PositiveIntegerField(default=1, verbose_name="times received"),
        ),
        migrations.AddField(
            model_name="deadletter",
            name="last_seen_at",
            field=models.DateTimeField(null=True, verbose_name="last received"),
        ),
        migrations.RunPython(fingerprint_and_merge, migrations.RunPython.noop),
    ]
