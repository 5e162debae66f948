#!/bin/bash
# HEALTHCHECK of the platform image: asks the part the container runs (its role, written
# by entrypoint.sh) whether it answers.
set -u
role="$(cat /run/hosting/role 2>/dev/null || echo web)"
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1"; }

case "$role" in
web)       [ "$(http_code "http://${WEB_ADDR:-127.0.0.1:8000}/login/")" = 200 ] ;;
router)    [ "$(http_code "http://127.0.0.1:${ROUTER_PORT:-8080}/")" != 000 ] ;;
activator) [ "$(http_code "http://127.0.0.1:${ACTIVATOR_PORT:-8081}/")" != 000 ] ;;
registry)  [ "$(http_code "http://${REGISTRY_HOST:-127.0.0.1:5000}/v2/")" = 401 ] ;;
worker)    celery -A hosting inspect ping --timeout 5 >/dev/null 2>&1 ;;
beat)      compgen -G "${HOSTING_VAR_DIR:-/var/lib/hosting}/celerybeat-schedule*" >/dev/null ;;
postgres)  pg_isready -q -h 127.0.0.1 -p "${POSTGRES_PORT:-5432}" ;;
redis)     redis-cli -p "${REDIS_PORT:-6379}" ${REDIS_PASSWORD:+-a "$REDIS_PASSWORD"} ping | grep -q PONG ;;
*)         true ;;
esac
