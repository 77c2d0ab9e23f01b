"""Writing to a project's activity feed; the one function every app uses for it."""

from .models import Activity


def log_activity(project, kind, message):
    return Activity.objects.create(project=project, kind=kind, message=message[:500])
