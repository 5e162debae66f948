#!/usr/bin/env bash
# Render the registry's config (token auth issued by the web app) and run the
# Distribution registry in the foreground on REGISTRY_HOST (default 127.0.0.1:5000).
# Env: HOSTING_VAR_DIR, REGISTRY_HOST, WEB_ADDR or REGISTRY_TOKEN_REALM (see
# hosting/registry/server.py). Extra arguments go to `manage.py registry_config`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
command -v docker-registry >/dev/null || {
    echo "registry.sh: docker-registry is missing (scripts/install_system.sh installs it)" >&2
    exit 1
}
config="$("$PY" manage.py registry_config "$@" | tail -n 1)"
exec docker-registry serve "$config"
