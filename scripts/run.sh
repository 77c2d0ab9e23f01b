#!/usr/bin/env bash
# Runs the whole product on embedded defaults (SQLite, a filesystem broker): the web app, the live
# process (open workspaces' event streams), the Celery worker and beat, and the Pic-Time sandbox,
# with demo data. Stop with Ctrl-C.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
scripts/bootstrap.sh
# Production settings on plain HTTP (no debug pages: a missing page shows the product's own 404),
# with keys made once for this checkout in .env, which manage.py commands read too.
if [ ! -f .env ]; then
  .venv/bin/python - > .env <<'PY'
import secrets
from cryptography.fernet import Fernet
print("# Made by `make run` for this checkout; never use these keys in production.")
print(f"SECRET_KEY={secrets.token_urlsafe(50)}")
print(f"FIELD_ENCRYPTION_KEY={Fernet.generate_key().decode()}")
print("SESSION_COOKIE_SECURE=false")
print("CSRF_COOKIE_SECURE=false")
PY
fi
export DEBUG="${DEBUG:-false}"
export CRM_PORT="${CRM_PORT:-8000}" SANDBOX_PORT="${SANDBOX_PORT:-8001}" LIVE_PORT="${LIVE_PORT:-8002}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:$CRM_PORT}"
export LIVE_URL="${LIVE_URL:-http://127.0.0.1:$LIVE_PORT}"
export PICTIME_BASE_URL="${PICTIME_BASE_URL:-http://127.0.0.1:$SANDBOX_PORT}"
PY=.venv/bin/python
$PY manage.py migrate --no-input -v 0
$PY manage.py collectstatic --no-input -v 0
$PY manage.py seed_demo
if [ -d sandbox ]; then
  export SANDBOX_SEED_REDIRECT_URI="$SITE_URL/integrations/pictime/callback/"
  export SANDBOX_PUBLIC_BASE_URL="$PICTIME_BASE_URL"
  $PY -m sandbox migrate --no-input -v 0
  $PY -m sandbox seed
fi
cat <<MSG

  Studio CRM        $SITE_URL/            (log in with the photographer login above)
  Admin site        $SITE_URL/admin/
  Pic-Time sandbox  $PICTIME_BASE_URL/    (log in with the Pic-Time login above)

MSG
export PATH="$ROOT/.venv/bin:$PATH"
exec honcho start -f Procfile
