import os
import subprocess
import sys

from django.core.management.base import BaseCommand

from sandbox import GUNICORN_COMMAND


class Command(BaseCommand):
    help = "Serve the sandbox with gunicorn (see sandbox/gunicorn_conf.py): one process, many threads."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8001")
        parser.add_argument("--threads", type=int, default=16)

    def handle(self, *args, **options):
        os.environ["SANDBOX_BIND"] = options["addrport"]
        os.environ["SANDBOX_THREADS"] = str(options["threads"])
        os.environ.setdefault("SANDBOX_ACCESS_LOG", "-")
        os.environ["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
        try:
            code = subprocess.call(GUNICORN_COMMAND)  # noqa: S603 (a fixed command line)
        except KeyboardInterrupt:
            code = 0
        sys.exit(code)
