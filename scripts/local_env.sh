#!/usr/bin/env bash
# Write $HOSTING_VAR_DIR/local.env (default var/local.env) once, with a random SECRET_KEY,
# so `python manage.py ...` run next to `make run` finds the settings it needs
# (hosting/settings.py reads the file as defaults). An existing file is kept: the key
# must not change under running sessions.
set -euo pipefail
cd "$(dirname "$0")/.."
var_dir="${HOSTING_VAR_DIR:-$PWD/var}"
file="$var_dir/local.env"
mkdir -p "$var_dir"
if [ ! -s "$file" ]; then
  umask 077
  key=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
  printf '# Written by scripts/local_env.sh (make run); read by hosting/settings.py.\nSECRET_KEY=%s\n' "$key" > "$file"
fi
