"""The service levels' revision: one row whose token the database changes on every write to
the tables a ticket's service level is read from, so that each process can keep what it
read of them until they change (services/deadlines.py; 4.6 ms of every declaration at a
million tickets before, docs/benchmarks-history.md)."""

import uuid

from django.db import migrations, models

from mutualis.servicedesk import revision_triggers


def first_token(apps, schema_editor):
    revision = apps.get_model("servicedesk", "ServiceLevelRevision")
    revision.objects.using(schema_editor.connection.alias).create(token=uuid.uuid4().hex)


# The tables watched as of this migration (revision_triggers.WATCHED_TABLES may grow later).
TABLES = (
    "servicedesk_slapolicy",
    "servicedesk_slatarget",
    "servicedesk_businesscalendar",
    "servicedesk_openingrange",
    "servicedesk_closure",
    "servicedesk_category",
    "servicedesk_categoryservicelevel",
    "servicedesk_servicecontract",
)


def install(apps, schema_editor):
    revision_triggers.install(schema_editor.connection, TABLES)


def uninstall(apps, schema_editor):
    revision_triggers.uninstall(schema_editor.connection, TABLES)


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0009_reopen_index")]

    operations = [
        migrations.CreateModel(
            name="ServiceLevelRevision",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=36)),
            ],
            options={
                "verbose_name": "service levels' revision",
                "verbose_name_plural": "service levels' revision",
            },
        ),
        migrations.RunPython(first_token, migrations.RunPython.noop),
        migrations.RunPython(install, uninstall),
    ]
