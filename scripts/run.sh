#!/usr/bin/env bash
# Runs the whole product on embedded defaults (SQLite, a filesystem broker): the web app, the Celery
# worker and beat, and the Pic-Time sandbox, with demo data. Stop with Ctrl-C.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
scripts/bootstrap.sh
export DEBUG="${DEBUG:-true}"
export CRM_PORT="${CRM_PORT:-8000}" SANDBOX_PORT="${SANDBOX_PORT:-8001}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:$CRM_PORT}"
export PICTIME_BASE_URL="${PICTIME_BASE_URL:-http://127.0.0.1:$SANDBOX_PORT}"
PY=.venv/bin/python
$PY manage.py migrate --no-input -v 0
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
