#!/bin/sh
# podman-compose for docker/compose.yaml: docker/compose.sh [-p PROJECT] up -d | down | ...
# (Docker users: `docker compose -f docker/compose.yaml ...` directly.)
here="$(cd "$(dirname "$0")" && pwd)"
exec podman-compose --podman-path "$here/podman-hostnet.sh" -f "$here/compose.yaml" "$@"
