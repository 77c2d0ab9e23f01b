"""The photography CRM: the Django project package and the CRM's own apps."""

from .celery import app as celery_app

__all__ = ["celery_app"]
