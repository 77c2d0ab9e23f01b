"""A project's activity feed: the one function every app writes to it with, and its newest lines."""

from crm.prepared import prepared

from .models import Activity

FEED_LENGTH = 20  # the workspace shows the newest; the admin keeps them all


def log_activity(project, kind, message):
    return Activity.objects.create(project=project, kind=kind, message=message[:500])


@prepared
def recent_activities(project_id):
    """The project's newest feed lines, newest first."""
    return Activity.objects.filter(project_id=project_id)[:FEED_LENGTH]
