#!/bin/bash
# The platform image's roles:  entrypoint.sh ROLE [ARGS...]
#   web        migrations (unless HOSTING_MIGRATE=0), then gunicorn on WEB_ADDR
#   worker     celery worker (ARGS go to it, e.g. -Q control --hostname control@%h)
#   beat       celery beat, its schedule in the var volume
#   activator  wakes versions at 0 instances, on ACTIVATOR_HOST:ACTIVATOR_PORT
#   router     HAProxy for tenant apps on ROUTER_PORT (config rendered from the database)
#   registry   the Distribution registry on REGISTRY_HOST, tokens issued by web
#   migrate    apply migrations and exit (upgrades: run it once, then roll the roles)
#   manage     python manage.py ARGS
#   postgres   PostgreSQL for evaluation (PGDATA in the volume, made on first start)
#   redis      Redis for evaluation
# Settings come from the environment (README "Settings"); docker/setup.sh writes them.
set -euo pipefail
role="${1:-web}"
shift || true
cd /app
echo "$role" > /run/hosting/role 2>/dev/null || true
var="${HOSTING_VAR_DIR:-/var/lib/hosting}"

case "$role" in
web)
    if [ "${HOSTING_MIGRATE:-1}" = 1 ]; then python manage.py migrate --noinput -v 1; fi
    if [ "${HOSTING_DEMO:-0}" = 1 ]; then python manage.py load_demo; fi
    exec gunicorn hosting.wsgi --bind "${WEB_ADDR:-127.0.0.1:8000}" \
        --workers "${WEB_WORKERS:-2}" --threads "${WEB_THREADS:-4}" \
        --access-logfile - --no-control-socket --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" "$@"
    ;;
worker)
    # Both lanes by default (settings.CELERY_TASK_ROUTES); run one worker per lane with
    # WORKER_QUEUES=control and WORKER_QUEUES=deploy so control never waits behind deploys.
    exec celery -A hosting worker --loglevel "${LOG_LEVEL:-INFO}" \
        --concurrency "${WORKER_CONCURRENCY:-4}" -Q "${WORKER_QUEUES:-control,deploy}" "$@"
    ;;
beat)
    exec celery -A hosting beat --loglevel "${LOG_LEVEL:-INFO}" \
        --schedule "$var/celerybeat-schedule" "$@"
    ;;
activator)
    exec python -m hosting.activator --host "${ACTIVATOR_HOST:-127.0.0.1}" "$@"
    ;;
router)
    # HAProxy wants about 16,000 descriptors (maxconn 8000) and, not being root, cannot
    # go past the hard limit itself: take all of it.
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    exec python -m hosting.router "$@"
    ;;
registry)
    config="$(python manage.py registry_config "$@" | tail -n 1)"
    exec docker-registry serve "$config"
    ;;
migrate)
    exec python manage.py migrate --noinput "$@"
    ;;
manage)
    exec python manage.py "$@"
    ;;
postgres)
    export PGDATA="${PGDATA:-$var/postgres/data}"
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        : "${POSTGRES_PASSWORD:?the postgres role needs POSTGRES_PASSWORD}"
        mkdir -p "$PGDATA"
        initdb -U "${POSTGRES_USER:-hosting}" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
            -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
        echo "CREATE DATABASE \"${POSTGRES_DB:-hosting}\";" \
            | postgres --single -D "$PGDATA" -j postgres >/dev/null
        # Other pods (Kubernetes) connect from outside loopback, always with the password.
        echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    fi
    exec postgres -D "$PGDATA" -c listen_addresses="${POSTGRES_LISTEN:-127.0.0.1}" \
        -p "${POSTGRES_PORT:-5432}" -c unix_socket_directories=/run/hosting "$@"
    ;;
redis)
    mkdir -p "$var/redis"
    exec redis-server --bind "${REDIS_BIND:-127.0.0.1}" --port "${REDIS_PORT:-6379}" \
        --dir "$var/redis" --appendonly yes ${REDIS_PASSWORD:+--requirepass "$REDIS_PASSWORD"} "$@"
    ;;
*)
    echo "entrypoint.sh: unknown role '$role' (web worker beat activator router registry" \
         "migrate manage postgres redis)" >&2
    exit 2
    ;;
esac
