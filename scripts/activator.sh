#!/usr/bin/env bash
# The activator: wakes versions at 0 instances and proxies their held requests.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m hosting.activator --port "${ACTIVATOR_PORT:-8081}" "$@"
