"""A project's activity feed: the one function every app writes to it with, and its newest lines."""

from .models import Activity

FEED_LENGTH = 20  # the workspace shows the newest; the admin keeps them all


def log_activity(project, kind, message):
    return Activity.objects.create(project=project, kind=kind, message=message[:500])


def recent_activities(project):
    """The project's newest feed lines, newest first."""
    return list(project.activities.all()[:FEED_LENGTH])
