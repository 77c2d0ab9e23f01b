"""A text field encrypted at rest, for OAuth tokens and webhook secrets.

Fernet (AES-128-CBC with HMAC) from `cryptography`, through MultiFernet so keys can rotate:
the first key of settings.FIELD_ENCRYPTION_KEYS encrypts, every key decrypts. The database, a
backup or a support person's SQL console only ever sees ciphertext.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEY holds a key that is not a Fernet key: {error}"
        ) from None


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    try:
        return fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored secret can't be decrypted: is FIELD_ENCRYPTION_KEY complete?"
        ) from None


class EncryptedTextField(models.TextField):
    """Stores `encrypt(value)`; reads back the plain value. Empty stays empty."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
