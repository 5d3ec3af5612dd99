# Foreign keys whose index only repeated the first column of a composite index or unique
# constraint of the same table: one index fewer to write on every insert, none fewer to read by
# (tests/test_schema_indexes.py keeps it so).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("datahub", "0007_history_keyed_by_instance"),
        ("registry", "0003_site_opening_hours_help"),
    ]

    operations = [
        migrations.AlterField(
            model_name="alertstate",
            name="rule",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="states",
                to="datahub.alertrule",
            ),
        ),
        migrations.AlterField(
            model_name="deadletter",
            name="operator",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="registry.operator",
            ),
        ),
        migrations.AlterField(
            model_name="entity",
            name="tenant",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entities",
                to="datahub.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="subscription",
            name="tenant",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="subscriptions",
                to="datahub.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="tenant",
            name="operator",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registry.operator",
            ),
        ),
    ]
