# An alert without hysteresis ends after values stayed back to normal for a while
# (alerts/machine.py, RECOVERY). Adding a column with a constant default is metadata only
# on PostgreSQL 11 and later: no rewrite of the states' table.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("datahub", "0010_dead_letter_once"),
    ]

    operations = [
        migrations.AddField(
            model_name="alertstate",
            name="clearing_since",
            field=models.DateTimeField(blank=True, null=True, verbose_name="back to normal since"),
        ),
        migrations.AddField(
            model_name="alertstate",
            name="flaps",
            field=models.PositiveIntegerField(
                default=0,
                help_text="How many times the alert came back before values stayed normal long enough.",
                verbose_name="returns while firing",
            ),
        ),
        migrations.AlterField(
            model_name="alertrule",
            name="clear_value",
            field=models.FloatField(
                blank=True,
                help_text="Hysteresis: once fired, the alert ends only when the value goes back past this value (below it for an “above” rule). Empty: when the value has stayed back within the threshold for 15 minutes.",
                null=True,
                verbose_name="back to normal past",
            ),
        ),
    ]
