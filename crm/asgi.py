"""The live process's entry point (uvicorn): it holds the open workspaces' event streams
(pictime.views.events), each open for as long as its tab. Every other request goes to the web
process (gunicorn on crm.wsgi), whose threads a held stream would pin."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

application = get_asgi_application()
