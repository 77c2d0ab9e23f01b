"""API tokens are now django-rest-knox's, stored as a hash only: each plain-text DRF token is moved
into knox (its hash, and its first 15 characters to find it by) and deleted, so that a token people
already use goes on working while no table holds it in clear.

DRF's authtoken app is no longer installed: its table is read, where an older database has it, with
plain SQL (and the migration depends on none of its migrations)."""

from django.db import migrations


def move_tokens(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return  # a database made after DRF's tokens were dropped
    AuthToken = apps.get_model("knox", "AuthToken")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id FROM authtoken_token")
        AuthToken.objects.using(connection.alias).bulk_create(
            AuthToken(
                digest=hash_token(key),
                token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
                user_id=user_id,
                expiry=None,  # they never expired before; people can delete them in the admin
            )
            for key, user_id in cursor.fetchall()
        )
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0001_initial"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(move_tokens, migrations.RunPython.noop)]
