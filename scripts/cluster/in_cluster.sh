#!/bin/bash
# in_cluster.sh RUN_DIR API_HOST API_PORT COMMAND...: run COMMAND as if it ran in a pod.
#
# kube-network-policies only knows client-go's in-cluster configuration: the API
# server from KUBERNETES_SERVICE_HOST/PORT and a token and CA under
# /var/run/secrets/kubernetes.io/serviceaccount. Run by up.sh under
# `unshare --mount`, this mounts RUN_DIR (which holds secrets/kubernetes.io/
# serviceaccount/{token,ca.crt}) over /run in that private mount namespace only,
# so the host's /run is never touched, then execs COMMAND (same pid: up.sh's pid
# file stays right).
set -euo pipefail
run_dir="$1" host="$2" port="$3"
shift 3
mount --bind "$run_dir" /run
export KUBERNETES_SERVICE_HOST="$host" KUBERNETES_SERVICE_PORT="$port"
exec "$@"
