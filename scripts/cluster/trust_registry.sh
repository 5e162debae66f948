#!/bin/bash
# Let the cluster pull from a plain-HTTP registry: trust_registry.sh HOST:PORT
# (e.g. 127.0.0.1:5000, or a registry a test started on a free port).
# containerd reads certs.d/<host>/hosts.toml at each pull: no restart needed.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/cluster/common.sh
. "$here/common.sh"

host="${1:?usage: trust_registry.sh HOST:PORT}"
case "$host" in
    */*|*" "*) fail "expected HOST:PORT, got '$host'" ;;
esac
dir="$STATE_DIR/certs.d/$host"
mkdir -p "$dir"
cat >"$dir/hosts.toml.tmp" <<EOF2
server = "http://$host"

[host."http://$host"]
  capabilities = ["pull", "resolve"]
EOF2
mv "$dir/hosts.toml.tmp" "$dir/hosts.toml"
