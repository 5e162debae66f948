#!/usr/bin/env bash
# The platform's HAProxy (master-worker, foreground): config rendered from the database,
# hitless reloads and weight changes applied later by hosting.router.sync().
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m hosting.router "$@"
