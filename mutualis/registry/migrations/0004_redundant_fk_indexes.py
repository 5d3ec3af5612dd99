# Foreign keys whose index only repeated the first column of a composite index or unique
# constraint of the same table: one index fewer to write on every insert, none fewer to read by
# (tests/test_schema_indexes.py keeps it so).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_site_opening_hours_help"),
    ]

    operations = [
        migrations.AlterField(
            model_name="asset",
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
            model_name="asset",
            name="site",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assets",
                to="registry.site",
                verbose_name="site",
            ),
        ),
        migrations.AlterField(
            model_name="assetmodel",
            name="asset_type",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="models",
                to="registry.assettype",
                verbose_name="type",
            ),
        ),
        migrations.AlterField(
            model_name="assetstatuschange",
            name="asset",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="status_changes",
                to="registry.asset",
            ),
        ),
        migrations.AlterField(
            model_name="importbatch",
            name="operator",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="import_batches",
                to="registry.operator",
                verbose_name="operator",
            ),
        ),
        migrations.AlterField(
            model_name="member",
            name="operator",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="members",
                to="registry.operator",
                verbose_name="operator",
            ),
        ),
        migrations.AlterField(
            model_name="memberservice",
            name="member",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="subscriptions",
                to="registry.member",
            ),
        ),
        migrations.AlterField(
            model_name="site",
            name="member",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sites",
                to="registry.member",
                verbose_name="member",
            ),
        ),
        migrations.AlterField(
            model_name="site",
            name="operator",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registry.operator",
            ),
        ),
    ]
