"""gunicorn settings of the CRM's web process (Procfile, docker-compose, Dockerfile): the access log
goes to stdout through `SafeAccessLogger`, which never writes query strings or portal/webhook tokens.
Bind address, workers and threads stay on each command line."""

accesslog = "-"
logger_class = "crm.ops.access_log.SafeAccessLogger"
control_socket_disable = True  # several gunicorns (CRM, sandbox, tests) share one machine
