"""A link's pending work counts its failed tries on the row (the earlier orders' fetch, the gallery-ready
email), not in the task's message, so a message the sweep sends again carries on the count."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pictime", "0010_ready_email_signoff"),
    ]

    operations = [
        migrations.AddField(
            model_name="gallerylink",
            name="orders_attempts",
            field=models.PositiveSmallIntegerField(
                default=0, help_text="Tries of the earlier orders' fetch that failed"
            ),
        ),
        migrations.AddField(
            model_name="gallerylink",
            name="ready_email_attempts",
            field=models.PositiveSmallIntegerField(
                default=0, help_text="Tries of the gallery-ready email that failed"
            ),
        ),
    ]
