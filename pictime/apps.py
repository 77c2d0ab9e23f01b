from django.apps import AppConfig


class PicTimeConfig(AppConfig):
    name = "pictime"
    verbose_name = "Pic-Time"
