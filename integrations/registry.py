"""The providers offered to companies, listed by dotted path in settings.INTEGRATION_PROVIDERS."""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from .base import IntegrationProvider


@cache
def _load(paths: tuple[str, ...]) -> tuple[IntegrationProvider, ...]:
    return tuple(import_string(path)() for path in paths)


def providers() -> tuple[IntegrationProvider, ...]:
    return _load(tuple(settings.INTEGRATION_PROVIDERS))
