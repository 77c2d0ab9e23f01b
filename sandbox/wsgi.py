import os

from django.core.wsgi import get_wsgi_application

from sandbox.core.startup import startup

os.environ["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
application = get_wsgi_application()
startup()
