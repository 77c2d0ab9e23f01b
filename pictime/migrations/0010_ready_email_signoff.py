"""The gallery ready email's sign-off is its own field, printed last (under the gallery's button and
the portal link), and the default greeting uses the client's first name. A studio still on the old
default message gets the new one; a message the studio wrote keeps its own sign-off (none added)."""

from django.db import migrations, models

OLD_MESSAGE = (
    "Hi {client_name},\n\n"
    "Your photos are ready! Open your gallery to view, download and share them, and to order prints.\n\n"
    "With love,\n{studio_name}"
)
NEW_MESSAGE = (
    "Hi {first_name},\n\n"
    "Your photos are ready! Open your gallery to view, download and share them, and to order prints."
)


def split_signoff(apps, schema_editor):
    Connection = apps.get_model("pictime", "Connection")
    Connection.objects.exclude(ready_email_message=OLD_MESSAGE).update(ready_email_signoff="")
    Connection.objects.filter(ready_email_message=OLD_MESSAGE).update(ready_email_message=NEW_MESSAGE)


def join_signoff(apps, schema_editor):
    Connection = apps.get_model("pictime", "Connection")
    Connection.objects.filter(ready_email_message=NEW_MESSAGE).update(ready_email_message=OLD_MESSAGE)


class Migration(migrations.Migration):
    dependencies = [("pictime", "0009_expiry_reminders_and_galleries_page")]

    operations = [
        migrations.AddField(
            model_name="connection",
            name="ready_email_signoff",
            field=models.TextField(blank=True, default="With love,\n{studio_name}", verbose_name="Sign-off"),
        ),
        migrations.AlterField(
            model_name="connection",
            name="ready_email_message",
            field=models.TextField(default=NEW_MESSAGE, verbose_name="Email message"),
        ),
        migrations.RunPython(split_signoff, join_signoff),
    ]
