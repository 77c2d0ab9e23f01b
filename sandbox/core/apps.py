from django.apps import AppConfig


def _sqlite_pragmas(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")


class CoreConfig(AppConfig):
    name = "sandbox.core"
    label = "sandbox_core"
    verbose_name = "Pic-Time sandbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.backends.signals import connection_created

        connection_created.connect(_sqlite_pragmas)
