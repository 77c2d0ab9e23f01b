"""Pic-Time sandbox: a separate Django process that plays Pic-Time (see contract/pictime-openapi.yaml)."""

import sys

# How the sandbox is served: gunicorn with sandbox/gunicorn_conf.py (`python -m sandbox serve`, tests).
GUNICORN_COMMAND = (
    sys.executable,
    "-m",
    "gunicorn",
    "-c",
    "python:sandbox.gunicorn_conf",
    "sandbox.wsgi:application",
)
