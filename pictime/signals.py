"""What pictime's lower layers and services announce, so that they need not import the code that
reacts (tokens would otherwise import the queue, whose tasks import the services, which import
tokens); pictime.receivers reacts."""

from django.dispatch import Signal

# A connection's grant works (again): a refresh succeeded. Sent with `connection`.
grant_refreshed = Signal()

# A refresh's answers were lost and the request gave up: a worker asks again. Sent with `connection`.
refresh_unanswered = Signal()

# What the services announce when they have work for a worker: pictime.receivers sends the task, so
# no service imports pictime.tasks (whose tasks import the services).

# A saved link's gallery went online, in the transaction that saves it. Sent with `link`.
gallery_published = Signal()

# A gallery just linked whose earlier orders Pic-Time could not give now. Sent with `link`.
orders_unfetched = Signal()

# A photographer asked to remind a gallery's client (the request is recorded). Sent with `link_id`.
reminder_requested = Signal()

# A company connected (or reconnected) its account, after commit. Sent with `connection`.
connected = Signal()
