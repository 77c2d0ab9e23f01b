import logging

from django.conf import settings
from django.db import DatabaseError

log = logging.getLogger("sandbox")


def startup():
    """Run once per server process: faults from the environment, OAuth clients from SANDBOX_OAUTH_CLIENTS."""
    from . import state, tokens

    state.init_faults()
    for c in settings.SANDBOX_OAUTH_CLIENTS:
        try:
            tokens.register_client(
                c["client_id"], c["client_secret"], c["redirect_uris"], c.get("name", c["client_id"])
            )
        except DatabaseError:
            log.warning(
                "could not register OAuth client %s: run `python -m sandbox migrate` first", c["client_id"]
            )
