# Once 0009 has fingerprinted and merged the dead letters: one letter per fingerprint.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("datahub", "0009_dead_letter_fingerprint"),
    ]

    operations = [
        migrations.AlterField(
            model_name="deadletter",
            name="last_seen_at",
            field=models.DateTimeField(verbose_name="last received"),
        ),
        migrations.AddConstraint(
            model_name="deadletter",
            constraint=models.UniqueConstraint(
                fields=("operator", "fingerprint"), name="datahub_deadletter_once"
            ),
        ),
    ]
