"""Email out: templates, preferences and the outbox (issue 4)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_import_batch"),
        ("servicedesk", "0004_service_levels"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='EmailTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event', models.CharField(choices=[('created', 'my request was received'), ('staff_reply', 'the operator replied to my request'), ('state_changed', 'my request changed state'), ('resolved', 'my request was resolved'), ('team_new_ticket', "a new ticket arrived in my team's queue"), ('assigned', 'a ticket was assigned to me'), ('member_reply', 'a member replied to a ticket I handle'), ('sla_warning', 'a ticket is about to miss its deadline'), ('sla_breach', 'a ticket missed its deadline')], max_length=20, verbose_name='notification')),
                ('language', models.CharField(choices=[('fr', 'French'), ('en', 'English')], default='fr', max_length=8, verbose_name='language')),
                ('subject', models.CharField(max_length=200, verbose_name='subject')),
                ('body', models.TextField(verbose_name='text')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='last change')),
                ('operator', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.operator', verbose_name='operator')),
            ],
            options={
                'verbose_name': 'email template',
                'verbose_name_plural': 'email templates',
                'ordering': ['event', 'language'],
                'constraints': [models.UniqueConstraint(fields=('operator', 'event', 'language'), name='email_template_one_per_event_language')],
            },
        ),
        migrations.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event', models.CharField(choices=[('created', 'my request was received'), ('staff_reply', 'the operator replied to my request'), ('state_changed', 'my request changed state'), ('resolved', 'my request was resolved'), ('team_new_ticket', "a new ticket arrived in my team's queue"), ('assigned', 'a ticket was assigned to me'), ('member_reply', 'a member replied to a ticket I handle'), ('sla_warning', 'a ticket is about to miss its deadline'), ('sla_breach', 'a ticket missed its deadline')], max_length=20)),
                ('enabled', models.BooleanField(default=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notification_preferences', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'notification preference',
                'verbose_name_plural': 'notification preferences',
                'constraints': [models.UniqueConstraint(fields=('user', 'event'), name='notification_preference_one_per_event')],
            },
        ),
        migrations.CreateModel(
            name='OutboundEmail',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event', models.CharField(choices=[('created', 'my request was received'), ('staff_reply', 'the operator replied to my request'), ('state_changed', 'my request changed state'), ('resolved', 'my request was resolved'), ('team_new_ticket', "a new ticket arrived in my team's queue"), ('assigned', 'a ticket was assigned to me'), ('member_reply', 'a member replied to a ticket I handle'), ('sla_warning', 'a ticket is about to miss its deadline'), ('sla_breach', 'a ticket missed its deadline')], max_length=20, verbose_name='notification')),
                ('to', models.EmailField(max_length=254, verbose_name='to')),
                ('language', models.CharField(default='fr', max_length=8)),
                ('subject', models.CharField(max_length=250, verbose_name='subject')),
                ('body', models.TextField(verbose_name='text')),
                ('context', models.JSONField(blank=True, default=dict)),
                ('message_id', models.CharField(max_length=250, unique=True, verbose_name='Message-ID')),
                ('state', models.CharField(choices=[('queued', 'queued'), ('sent', 'sent'), ('failed', 'not sent: failed (the job retries it)')], default='queued', max_length=8, verbose_name='state')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('last_error', models.TextField(blank=True, verbose_name='last error')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent')),
                ('operator', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.operator')),
                ('recipient', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='outbound_emails', to='servicedesk.ticket')),
            ],
            options={
                'verbose_name': 'outgoing email',
                'verbose_name_plural': 'outgoing emails',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['ticket', 'recipient', 'state'], name='outbound_email_pending'), models.Index(fields=['operator', 'state', 'created_at'], name='outbound_email_state')],
            },
        ),
    ]
