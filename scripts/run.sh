#!/usr/bin/env bash
# Start the whole platform on its embedded defaults: SQLite, Redis, web, worker, beat
# (and, as they land, Podman's API socket, the registry, HAProxy and the activator),
# all on loopback, under honcho. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-1}"
export HOSTING_VAR_DIR="${HOSTING_VAR_DIR:-$PWD/var}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export WEB_ADDR="${WEB_ADDR:-127.0.0.1:8000}"
export DOCKER_HOST="${DOCKER_HOST:-unix://$HOSTING_VAR_DIR/podman.sock}"
PY=.venv/bin/python
mkdir -p "$HOSTING_VAR_DIR"

# RUNTIME_BACKEND=kubernetes: versions run on the machine's cluster (started or reused;
# built on first use), unless KUBECONFIG already points at another one.
if [ "${RUNTIME_BACKEND:-local}" = kubernetes ] && [ -z "${KUBECONFIG:-}" ]; then
  scripts/cluster/up.sh
  eval "$(scripts/cluster/env.sh | grep '^export KUBECONFIG=')"
  export KUBECONFIG
fi

$PY manage.py migrate --noinput -v 0
demo_line=$($PY manage.py load_demo | tail -n 1)

procfile="$HOSTING_VAR_DIR/Procfile"
{
  if ! redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then
    echo "redis: redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no"
  fi
  echo "podman: podman system service --time=0 $DOCKER_HOST"
  echo "registry: scripts/registry.sh"
  echo "router: scripts/router.sh"
  echo "activator: scripts/activator.sh"
  echo "web: .venv/bin/gunicorn hosting.wsgi --bind $WEB_ADDR --workers 2 --threads 4 --access-logfile -"
  echo "worker: .venv/bin/celery -A hosting worker --loglevel INFO --concurrency 4"
  echo "beat: .venv/bin/celery -A hosting beat --loglevel INFO --schedule $HOSTING_VAR_DIR/celerybeat-schedule"
} > "$procfile"

cat <<MSG

  Console:  http://$WEB_ADDR/
  Admin:    http://$WEB_ADDR/admin/
  API:      http://$WEB_ADDR/api/docs/
  Apps:     http://<service>.<tenant>.${APPS_DOMAIN:-apps.localhost}:${ROUTER_PORT:-8080}/
  Registry: ${REGISTRY_HOST:-127.0.0.1:5000}
  $demo_line

MSG
exec .venv/bin/honcho -f "$procfile" -d . start
