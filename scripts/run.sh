#!/usr/bin/env bash
# Start the whole platform on its embedded defaults (SQLite, Redis, Podman's API socket,
# the registry, HAProxy, the activator, web, worker, beat), all on loopback, under
# supervisord: a part that crashes is restarted (with backoff while it keeps failing at
# start) and the others keep running. Ctrl-C stops everything.
#
# Every address is configurable: WEB_ADDR, ROUTER_PORT, ACTIVATOR_PORT, REGISTRY_HOST,
# REDIS_URL (a redis-server is started on it when nothing answers), DOCKER_HOST, and
# HOSTING_VAR_DIR for all state. The parts are listed in scripts/programs.sh.
# While it runs: `.venv/bin/supervisorctl -c $HOSTING_VAR_DIR/supervisord.conf status`.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-1}"
export HOSTING_VAR_DIR="${HOSTING_VAR_DIR:-$PWD/var}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export WEB_ADDR="${WEB_ADDR:-127.0.0.1:8000}"
export ROUTER_PORT="${ROUTER_PORT:-8080}"
export ACTIVATOR_PORT="${ACTIVATOR_PORT:-8081}"
export REGISTRY_HOST="${REGISTRY_HOST:-127.0.0.1:5000}"
export DOCKER_HOST="${DOCKER_HOST:-unix://$HOSTING_VAR_DIR/podman.sock}"
export PYTHONUNBUFFERED=1  # lines reach the console as they are written
PY=.venv/bin/python
mkdir -p "$HOSTING_VAR_DIR"
scripts/local_env.sh  # var/local.env: the SECRET_KEY `manage.py` commands read next to us

# The redis-server started when nothing answers listens where REDIS_URL points.
redis_addr="${REDIS_URL#*://}"; redis_addr="${redis_addr#*@}"; redis_addr="${redis_addr%%/*}"
export REDIS_BIND="${redis_addr%:*}" REDIS_PORT="${redis_addr##*:}"

# RUNTIME_BACKEND=kubernetes: versions run on the machine's cluster (started or reused;
# built on first use), unless KUBECONFIG already points at another one.
if [ "${RUNTIME_BACKEND:-local}" = kubernetes ] && [ -z "${KUBECONFIG:-}" ]; then
  scripts/cluster/up.sh
  eval "$(scripts/cluster/env.sh | grep '^export KUBECONFIG=')"
  export KUBECONFIG
fi

$PY manage.py migrate --noinput -v 0
demo_line=$($PY manage.py load_demo | tail -n 1)

# shellcheck source=scripts/programs.sh
source scripts/programs.sh
conf="$HOSTING_VAR_DIR/supervisord.conf"
priority=0
program() { # name command: one supervised part
  priority=$((priority + 10))
  cat <<CONF

[program:$1]
command=scripts/supervised.sh $1 ${2//%/%%}
directory=$PWD
priority=$priority
autorestart=true
startsecs=2
startretries=20
stopwaitsecs=10
killasgroup=true
redirect_stderr=true
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
CONF
}
{
  cat <<CONF
; Written by scripts/run.sh on every start; edit scripts/programs.sh instead.
[supervisord]
nodaemon=true
directory=$PWD
logfile=$HOSTING_VAR_DIR/supervisord.log
logfile_maxbytes=5MB
logfile_backups=1
pidfile=$HOSTING_VAR_DIR/supervisord.pid

[unix_http_server]
file=$HOSTING_VAR_DIR/supervisor.sock
chmod=0700

[supervisorctl]
serverurl=unix://$HOSTING_VAR_DIR/supervisor.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
CONF
  programs
} > "$conf"

cat <<MSG

  Console:  http://$WEB_ADDR/
  Admin:    http://$WEB_ADDR/admin/
  API:      http://$WEB_ADDR/api/docs/
  Apps:     http://<service>.<tenant>.${APPS_DOMAIN:-apps.localhost}:$ROUTER_PORT/
  Registry: $REGISTRY_HOST
  $demo_line

MSG
# Each part's log is opened as /dev/stdout; on a regular file every opener would write
# from its own offset over the others, so a file gets its lines through one pipe.
if [ -f /proc/self/fd/1 ]; then exec > >(exec cat); fi
exec .venv/bin/supervisord -c "$conf"
