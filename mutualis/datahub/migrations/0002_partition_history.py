"""On PostgreSQL, the attribute history becomes a table partitioned by month (see
`mutualis.datahub.partitions`); SQLite keeps the plain table of 0001."""

from django.db import migrations


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from mutualis.datahub.partitions import CREATE_PARTITIONED, ensure_upcoming_partitions

    schema_editor.execute(CREATE_PARTITIONED)
    ensure_upcoming_partitions()


class Migration(migrations.Migration):
    dependencies = [("datahub", "0001_initial")]

    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
