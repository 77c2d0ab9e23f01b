from django.apps import AppConfig


class PicTimeConfig(AppConfig):
    name = "pictime"
    verbose_name = "Pic-Time"

    def ready(self):
        from pictime import receivers  # noqa: F401  (connects the signal receivers)
