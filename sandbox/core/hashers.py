from django.contrib.auth.hashers import PBKDF2PasswordHasher


class SandboxPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Fewer iterations than Django's default: sandbox accounts are created by the hundred in tests."""

    iterations = 20_000
