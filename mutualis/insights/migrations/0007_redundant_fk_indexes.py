# Foreign keys whose index only repeated the first column of a composite index or unique
# constraint of the same table: one index fewer to write on every insert, none fewer to read by
# (tests/test_schema_indexes.py keeps it so).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0006_ticket_fact_breakdown_covering"),
        ("registry", "0003_site_opening_hours_help"),
    ]

    operations = [
        migrations.AlterField(
            model_name="assetrisk",
            name="batch",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="asset_risks",
                to="insights.forecastbatch",
            ),
        ),
        migrations.AlterField(
            model_name="forecastbatch",
            name="operator",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="registry.operator",
            ),
        ),
        migrations.AlterField(
            model_name="forecastrun",
            name="batch",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="runs",
                to="insights.forecastbatch",
            ),
        ),
        migrations.AlterField(
            model_name="generatedreport",
            name="member",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="generated_reports",
                to="registry.member",
                verbose_name="member",
            ),
        ),
        migrations.AlterField(
            model_name="generatedreport",
            name="operator",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="registry.operator",
            ),
        ),
        migrations.AlterField(
            model_name="reportdelivery",
            name="report",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="insights.generatedreport",
            ),
        ),
    ]
