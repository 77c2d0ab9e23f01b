"""API tokens are now django-rest-knox's, stored as a hash only: each plain-text DRF token is moved
into knox (its hash, and its first 15 characters to find it by) and deleted, so that a token people
already use goes on working while no table holds it in clear."""

from django.db import migrations


def move_tokens(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    Token = apps.get_model("authtoken", "Token")
    AuthToken = apps.get_model("knox", "AuthToken")
    AuthToken.objects.bulk_create(
        AuthToken(
            digest=hash_token(token.key),
            token_key=token.key[: CONSTANTS.TOKEN_KEY_LENGTH],
            user_id=token.user_id,
            expiry=None,  # they never expired before; people can delete them in the admin
        )
        for token in Token.objects.all()
    )
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0001_initial"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(move_tokens, migrations.RunPython.noop)]
