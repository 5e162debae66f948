#!/bin/sh
# First run of the compose stack: write the env file (default docker/.env, mode 600)
# with generated secrets and every address, unless it exists. Then:
#   docker/build.sh && docker/compose.sh up -d      (or: docker compose -f docker/compose.yaml up -d)
# Env (all optional): WEB_ADDR, ROUTER_PORT, ACTIVATOR_PORT, REGISTRY_PORT, POSTGRES_PORT,
# REDIS_PORT, APPS_DOMAIN, HOSTING_IMAGE, HOSTING_ENGINE_SOCKET (the host's Podman or
# Docker API socket), HOSTING_DEMO=1 (load the demo tenant, login demo/demo-password).
set -eu
out="${1:-$(cd "$(dirname "$0")" && pwd)/.env}"
if [ -e "$out" ]; then
    echo "setup.sh: $out exists; keeping it (remove it to start over)" >&2
    echo "$out"
    exit 0
fi
secret() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

socket="${HOSTING_ENGINE_SOCKET:-}"
if [ -z "$socket" ]; then
    for candidate in /run/podman/podman.sock /var/run/docker.sock; do
        [ -S "$candidate" ] && { socket="$candidate"; break; }
    done
    socket="${socket:-/run/podman/podman.sock}"
    [ -S "$socket" ] || echo "setup.sh: no engine socket yet; start one, e.g." \
        "systemctl enable --now podman.socket, or scripts/podman_service.sh start $socket" >&2
fi
gid="$(stat -c %g "$socket" 2>/dev/null || echo 0)"
pg_port="${POSTGRES_PORT:-5432}" redis_port="${REDIS_PORT:-6379}"
pg_password="$(secret 24)" redis_password="$(secret 24)"

umask 077
cat >"$out" <<ENV
# Written by docker/setup.sh on $(date -u +%Y-%m-%dT%H:%MZ). Holds secrets: keep it
# private, back it up with the database (README "Backups").
HOSTING_IMAGE=${HOSTING_IMAGE:-localhost/hosting:latest}
HOSTING_ENGINE_SOCKET=$socket
HOSTING_ENGINE_GID=$gid
HOSTING_DEMO=${HOSTING_DEMO:-0}
DEBUG=0
SECRET_KEY=$(secret 40)
# Plain HTTP on loopback; behind a TLS proxy set these to 1 and ALLOWED_HOSTS to its name.
ALLOWED_HOSTS=127.0.0.1,localhost
SECURE_SSL_REDIRECT=0
SESSION_COOKIE_SECURE=0
CSRF_COOKIE_SECURE=0
SECURE_HSTS_SECONDS=0
WEB_ADDR=${WEB_ADDR:-127.0.0.1:8000}
ROUTER_PORT=${ROUTER_PORT:-8080}
ACTIVATOR_PORT=${ACTIVATOR_PORT:-8081}
REGISTRY_HOST=127.0.0.1:${REGISTRY_PORT:-5000}
APPS_DOMAIN=${APPS_DOMAIN:-apps.localhost}
POSTGRES_USER=hosting
POSTGRES_DB=hosting
POSTGRES_PORT=$pg_port
POSTGRES_PASSWORD=$pg_password
DATABASE_URL=postgres://hosting:$pg_password@127.0.0.1:$pg_port/hosting
REDIS_PORT=$redis_port
REDIS_PASSWORD=$redis_password
REDIS_URL=redis://:$redis_password@127.0.0.1:$redis_port/0
DOCKER_HOST=unix:///run/hosting/engine.sock
RUNTIME_BACKEND=local
# The tenant firewall (hosting/runtimes/firewall.py) writes the host's iptables, which the
# platform's unprivileged containers cannot: tenants keep their own networks, unfenced
# from the host. Run the deploy worker as root with NET_ADMIN to turn it on.
TENANT_FIREWALL=${TENANT_FIREWALL:-0}
RUNTIME_NAMESPACE=${RUNTIME_NAMESPACE:-hosting}
ENV
echo "$out"
