"""What pictime's lower layers announce, so that they need not import the code that reacts
(tokens would otherwise import the queue, whose tasks import the services, which import tokens)."""

from django.dispatch import Signal

# A connection's grant works (again): a refresh succeeded. Sent with `connection`.
grant_refreshed = Signal()

# A refresh's answers were lost and the request gave up: a worker asks again. Sent with `connection`.
refresh_unanswered = Signal()
