# Foreign keys whose index only repeated the first column of a composite index or unique
# constraint of the same table: one index fewer to write on every insert, none fewer to read by
# (tests/test_schema_indexes.py keeps it so).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from mutualis.servicedesk import revision_triggers

# On SQLite, altering a column copies the table into a new one, which drops its triggers:
# those of the service levels' revision (0010) are put back on the tables altered here.
WATCHED_AND_ALTERED = (
    "servicedesk_slapolicy",
    "servicedesk_slatarget",
    "servicedesk_businesscalendar",
    "servicedesk_category",
    "servicedesk_servicecontract",
)


def reinstall_triggers(apps, schema_editor):
    revision_triggers.install(schema_editor.connection, WATCHED_AND_ALTERED)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_site_opening_hours_help"),
        ("servicedesk", "0010_service_level_revision"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Undone last when the migration is reversed, after the tables were copied back.
        migrations.RunPython(migrations.RunPython.noop, reinstall_triggers, elidable=False),
        migrations.AlterField(
            model_name="businesscalendar",
            name="operator",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registry.operator",
                verbose_name="operator",
            ),
        ),
        migrations.AlterField(
            model_name="catalogueoverride",
            name="member",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="catalogue_overrides",
                to="registry.member",
                verbose_name="member",
            ),
        ),
        migrations.AlterField(
            model_name="category",
            name="operator",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registry.operator",
                verbose_name="operator",
            ),
        ),
        migrations.AlterField(
            model_name="comment",
            name="ticket",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="comments",
                to="servicedesk.ticket",
            ),
        ),
        migrations.AlterField(
            model_name="emailtemplate",
            name="operator",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="registry.operator",
                verbose_name="operator",
            ),
        ),
        migrations.AlterField(
            model_name="formfield",
            name="incident_type",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="fields",
                to="servicedesk.incidenttype",
                verbose_name="incident type",
            ),
        ),
        migrations.AlterField(
            model_name="inboundemail",
            name="operator",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registry.operator",
                verbose_name="operator",
            ),
        ),
        migrations.AlterField(
            model_name="incidenttype",
            name="category",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="incident_types",
                to="servicedesk.category",
                verbose_name="category",
            ),
        ),
        migrations.AlterField(
            model_name="notificationpreference",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notification_preferences",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="operator",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="registry.operator",
            ),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="ticket",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="outbound_emails",
                to="servicedesk.ticket",
            ),
        ),
        migrations.AlterField(
            model_name="servicecontract",
            name="member",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="service_contracts",
                to="registry.member",
                verbose_name="member",
            ),
        ),
        migrations.AlterField(
            model_name="slabreach",
            name="ticket",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="sla_breaches",
                to="servicedesk.ticket",
            ),
        ),
        migrations.AlterField(
            model_name="slapolicy",
            name="operator",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registry.operator",
                verbose_name="operator",
            ),
        ),
        migrations.AlterField(
            model_name="slatarget",
            name="policy",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="targets",
                to="servicedesk.slapolicy",
            ),
        ),
        migrations.AlterField(
            model_name="team",
            name="operator",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="teams",
                to="registry.operator",
                verbose_name="operator",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="assignee",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assigned_tickets",
                to=settings.AUTH_USER_MODEL,
                verbose_name="assigned to",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="member",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tickets",
                to="registry.member",
                verbose_name="member",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="operator",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registry.operator",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="requester",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="requested_tickets",
                to=settings.AUTH_USER_MODEL,
                verbose_name="requester",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="site",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tickets",
                to="registry.site",
                verbose_name="site",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="team",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tickets",
                to="servicedesk.team",
                verbose_name="team",
            ),
        ),
        migrations.AlterField(
            model_name="ticketevent",
            name="ticket",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="servicedesk.ticket",
            ),
        ),
        migrations.RunPython(reinstall_triggers, migrations.RunPython.noop, elidable=False),
    ]
