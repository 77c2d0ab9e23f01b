"""gunicorn settings of the sandbox: ONE worker process (faults, rate limiter and counters live in it),
gthread with many threads, a long timeout so that injected hangs do not get the worker killed.
Bind address from SANDBOX_BIND (default 127.0.0.1:8001), threads from SANDBOX_THREADS (default 16)."""

import os

bind = os.environ.get("SANDBOX_BIND", "127.0.0.1:8001")
workers = 1
control_socket_disable = True  # several gunicorns (CRM, sandbox, tests) share one machine
worker_class = "gthread"
threads = int(os.environ.get("SANDBOX_THREADS", "16"))
timeout = 300
# Idle keep-alive connections stay open 75 s (gunicorn's default is 2 s): a client reusing its
# connection after a ~2 s pause could send its request just as the server closed it, and get
# "Remote end closed connection without response" (seen in a test that waits on injected latency).
keepalive = 75
graceful_timeout = 1
loglevel = os.environ.get("SANDBOX_LOG_LEVEL", "info")
accesslog = os.environ.get("SANDBOX_ACCESS_LOG") or None
raw_env = ["DJANGO_SETTINGS_MODULE=sandbox.settings"]
