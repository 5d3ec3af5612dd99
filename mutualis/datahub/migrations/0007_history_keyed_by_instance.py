"""The attribute history loses its surrogate id: its primary key becomes the instance's own
identity, (entity, attribute, datasetId, observedAt), which the unique constraint held.

The id was a second index, (id, observed_at), and a sequence that no reader used: temporal
queries walk the series key, and instanceIds are now made of it. Measured on the bench's
history (docs/benchmarks-history.md, "Eighth session"): the indexes take 91 bytes a row
instead of 134 (a third less; at 100 million rows, about 4 GB less), and the id's 8 bytes
a row leave the table as rows are rewritten. The write of a batch is not measurably
faster: COPY of the 4,000 instances of one batch took 48.8/46.5 and 55.4/55.0 ms
(median, with/without the id, 40 alternated batches on two databases loaded alike).

PostgreSQL: the unique constraint (with its INCLUDE (number), migration 0006) becomes the
primary key; the id column is dropped (a change of the catalog: the space comes back as
rows are rewritten or the table is repacked). Building the key's index reads the whole
history under an exclusive lock: at 100 million rows, minutes (docs/configuration.md).
SQLite cannot change a primary key in place: the table is copied into its new shape.

Not reversible: the ids were never exposed but as instanceIds, now derived from the key.
"""

from django.db import migrations, models

TABLE = "datahub_attributeinstance"
KEY = "entity_id, attribute_id, dataset_id, observed_at"
COPIED = f"tenant_id, {KEY}, has_observed_at, recorded_at, number, unit_code, value"


def rekey(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {TABLE}_pkey")
        schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT datahub_instance_unique")
        schema_editor.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY ({KEY}) INCLUDE (number)"
        )
        schema_editor.execute(f"ALTER TABLE {TABLE} DROP COLUMN id")
        return
    # Elsewhere (SQLite): keep the rows aside, drop the table with its indexes, create it
    # as the model now is, and put the rows back.
    model = apps.get_model("datahub", "AttributeInstance")
    schema_editor.execute(f"CREATE TABLE {TABLE}_rekeyed AS SELECT {COPIED} FROM {TABLE}")  # noqa: S608 (fixed names)
    schema_editor.execute(f"DROP TABLE {TABLE}")
    schema_editor.create_model(model)
    schema_editor.execute(f"INSERT INTO {TABLE} ({COPIED}) SELECT {COPIED} FROM {TABLE}_rekeyed")  # noqa: S608 (fixed names)
    schema_editor.execute(f"DROP TABLE {TABLE}_rekeyed")


class Migration(migrations.Migration):
    dependencies = [("datahub", "0006_history_index_covers_number")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name="attributeinstance", name="datahub_instance_unique"),
                migrations.RemoveField(model_name="attributeinstance", name="id"),
                migrations.AddField(
                    model_name="attributeinstance",
                    name="pk",
                    field=models.CompositePrimaryKey(
                        "entity",
                        "attribute",
                        "dataset_id",
                        "observed_at",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                migrations.AlterField(
                    model_name="attributeinstance",
                    name="entity",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="datahub.entity",
                    ),
                ),
            ],
        ),
        # After the state: the SQLite path creates the table from the model as it now is.
        migrations.RunPython(rekey, elidable=False),
    ]
