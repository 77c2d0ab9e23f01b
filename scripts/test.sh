#!/usr/bin/env bash
# Runs the whole test suite against PostgreSQL and Redis, the production shape.
# Installs what is missing (venv and packages; PostgreSQL, Redis and Chromium from Debian's
# packages) and starts the servers unless DATABASE_URL is already set (CI starts them itself).
# Extra arguments go to pytest:  scripts/test.sh tests/crm -k portal
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
scripts/bootstrap.sh
if [ -z "${DATABASE_URL:-}" ]; then
  scripts/services.sh start
  eval "$(scripts/services.sh env)"
  trap 'scripts/services.sh stop' EXIT
elif [ ! -x /usr/bin/chromium ]; then
  scripts/services.sh install
fi
export DATABASE_URL CELERY_BROKER_URL
# In parallel, one pytest-xdist worker a core (TEST_WORKERS to change it): each has its own test
# database and sandbox; tests that start a Celery worker take turns on Redis (tests/worker/conftest.py).
# Arguments after these win: `make test ARGS="-n 0"` runs in one process.
.venv/bin/python -m pytest -n "${TEST_WORKERS:-auto}" "$@"
