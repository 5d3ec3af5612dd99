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


# Dead letters are never purged: an installation may hold hundreds of thousands. They are
# read by chunks and written back by statements of BATCH rows, joined to a VALUES list
# (bulk_update's CASE of 2,000 rows took 83 s for 100,000 letters on PostgreSQL; row by
# row, 35 s). VALUES' columns are column1, column2… on both databases.
BATCH = 2000


def _values(count, width):
    row = "(" + ", ".join(["%s"] * width) + ")"
    return ", ".join([row] * count)


def fingerprint_and_merge(apps, schema_editor):
    DeadLetter = apps.get_model("datahub", "DeadLetter")
    table = schema_editor.quote_name(DeadLetter._meta.db_table)
    cursor = schema_editor.connection.cursor()
    # Letters of one message were written together, at one `received_at`: the same refusal
    # twice at one instant is two readings of one message (occurrence 0, 1, …); at two
    # instants, the message received twice.
    occurrences = defaultdict(int)
    first = {}  # (operator, fingerprint) -> [pk of the letter kept, times seen, pk of the last seen]
    fingerprinted, merged = [], []

    def fingerprint_batch():
        if fingerprinted:
            cursor.execute(
                f"UPDATE {table} SET fingerprint = v.fingerprint, last_seen_at = received_at "  # noqa: S608 (fixed names, placeholders)
                f"FROM (SELECT column1 AS id, column2 AS fingerprint FROM (VALUES {_values(len(fingerprinted), 2)}) AS v0) AS v "
                f"WHERE {table}.id = v.id",
                [value for pair in fingerprinted for value in pair],
            )
            fingerprinted.clear()

    letters = DeadLetter.objects.order_by("received_at", "pk").only(
        "pk", "operator_id", "received_at", "tenant_id", "source", "topic", "payload", "reason", "detail"
    )
    # Nothing the order depends on is written while the letters are read, and nothing is
    # deleted before the end: SQLite reads and writes on the same connection.
    for letter in letters.iterator(chunk_size=BATCH):
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
            first[(letter.operator_id, fingerprint)] = [letter.pk, 1, letter.pk]
            fingerprinted.append((letter.pk, fingerprint))
            if len(fingerprinted) >= BATCH:
                fingerprint_batch()
        else:
            kept[1] += 1
            kept[2] = letter.pk  # read in order of arrival: the latest so far
            merged.append(letter.pk)
    fingerprint_batch()
    repeated = [kept for kept in first.values() if kept[1] > 1]
    for start in range(0, len(repeated), BATCH):
        batch = repeated[start : start + BATCH]
        cursor.execute(
            f"UPDATE {table} SET times_seen = v.times_seen, "  # noqa: S608 (fixed names, placeholders)
            f"last_seen_at = (SELECT latest.received_at FROM {table} AS latest WHERE latest.id = v.latest_id) "
            f"FROM (SELECT column1 AS id, column2 AS times_seen, column3 AS latest_id "
            f"FROM (VALUES {_values(len(batch), 3)}) AS v0) AS v WHERE {table}.id = v.id",
            [value for kept in batch for value in kept],
        )
    for start in range(0, len(merged), BATCH):
        batch = merged[start : start + BATCH]
        placeholders = ", ".join(["%s"] * len(batch))
        cursor.execute(f"DELETE FROM {table} WHERE id IN ({placeholders})", batch)  # noqa: S608 (fixed names)
    cursor.close()


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
