# The expiry reminder email (settings on the connection, state on the link) and the indexes the
# Galleries page reads by.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('companies', '0002_harden_hash_api_tokens'),
        ('pictime', '0008_refresh_sent_and_retry'),
        ('projects', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='connection',
            name='reminder_days_before',
            field=models.PositiveSmallIntegerField(default=7, verbose_name='Days before'),
        ),
        migrations.AddField(
            model_name='connection',
            name='reminder_email_enabled',
            field=models.BooleanField(default=True, verbose_name='Email clients before a gallery expires'),
        ),
        migrations.AddField(
            model_name='connection',
            name='reminder_email_message',
            field=models.TextField(default='Hi {first_name},\n\nA reminder that your gallery closes on {expiry_date}. There is still time to download your photos and order prints before it does.', verbose_name='Reminder message'),
        ),
        migrations.AddField(
            model_name='connection',
            name='reminder_email_subject',
            field=models.CharField(default='Your gallery “{gallery_name}” closes on {expiry_date}', max_length=200, verbose_name='Reminder subject'),
        ),
        migrations.AddField(
            model_name='gallerylink',
            name='reminder_at',
            field=models.DateTimeField(blank=True, help_text='When its status last changed', null=True),
        ),
        migrations.AddField(
            model_name='gallerylink',
            name='reminder_error',
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name='gallerylink',
            name='reminder_expires_at',
            field=models.DateTimeField(blank=True, help_text='The expiry it was sent for', null=True),
        ),
        migrations.AddField(
            model_name='gallerylink',
            name='reminder_requested_at',
            field=models.DateTimeField(blank=True, help_text='Remind client, not sent yet', null=True),
        ),
        migrations.AddField(
            model_name='gallerylink',
            name='reminder_status',
            field=models.CharField(blank=True, choices=[('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed'), ('skipped', 'Not sent')], default='', max_length=10),
        ),
        migrations.AddField(
            model_name='gallerylink',
            name='reminder_to',
            field=models.EmailField(blank=True, max_length=254),
        ),
        migrations.AddIndex(
            model_name='gallerylink',
            index=models.Index(fields=['company', 'expires_at'], name='pictime_link_company_expiry'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['company', 'placed_at'], include=('status', 'currency', 'total', 'gallery_id'), name='pictime_order_company_placed'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['company', 'gallery_id'], include=('status', 'currency', 'total'), name='pictime_order_company_gallery'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['company', 'remote_updated_at'], name='pictime_order_company_changed'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['company', 'id'], name='pictime_order_company_id'),
        ),
    ]
