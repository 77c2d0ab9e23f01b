"""What the CRM keeps of Pic-Time: a company's connection, gallery links, orders, and the records
of the work done for them (auto-create jobs, sync runs, webhook deliveries).

The panel, the portal and the admin read only these rows: no page waits on Pic-Time.
"""

from pictime.models.connection import (
    DEFAULT_PORTAL_INTRO,
    DEFAULT_READY_EMAIL_MESSAGE,
    DEFAULT_READY_EMAIL_SIGNOFF,
    DEFAULT_READY_EMAIL_SUBJECT,
    DEFAULT_REMINDER_EMAIL_MESSAGE,
    DEFAULT_REMINDER_EMAIL_SUBJECT,
    Connection,
    ConnectionQuerySet,
    new_webhook_token,
)
from pictime.models.links import GalleryLink, GalleryLinkQuerySet, ReadyEmail, touch_company, touch_projects
from pictime.models.orders import Order, OrderQuerySet
from pictime.models.records import (
    AccountRateLimit,
    AutoCreateJob,
    SyncRun,
    WebhookDelivery,
    WebhookEvent,
)

__all__ = [
    "DEFAULT_PORTAL_INTRO",
    "DEFAULT_READY_EMAIL_MESSAGE",
    "DEFAULT_READY_EMAIL_SIGNOFF",
    "DEFAULT_READY_EMAIL_SUBJECT",
    "DEFAULT_REMINDER_EMAIL_MESSAGE",
    "DEFAULT_REMINDER_EMAIL_SUBJECT",
    "AccountRateLimit",
    "AutoCreateJob",
    "Connection",
    "ConnectionQuerySet",
    "GalleryLink",
    "GalleryLinkQuerySet",
    "Order",
    "OrderQuerySet",
    "ReadyEmail",
    "SyncRun",
    "WebhookDelivery",
    "WebhookEvent",
    "new_webhook_token",
    "touch_company",
    "touch_projects",
]
