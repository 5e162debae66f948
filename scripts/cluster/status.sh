#!/bin/bash
# One line per component: running (pid) and healthy, or why not; then the
# node. Exit status 0 only when everything is healthy.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/cluster/common.sh
. "$here/common.sh"
# shellcheck source=scripts/cluster/daemons.sh
. "$here/daemons.sh"
# shellcheck source=scripts/cluster/network_policies.sh
. "$here/network_policies.sh"

health() {
    case "$1" in
        etcd) curl -fsS "http://127.0.0.1:$ETCD_PORT/health" ;;
        containerd) ctr version ;;
        kube-apiserver) api /readyz ;;
        kube-controller-manager) curl -fsSk "https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz" ;;
        kube-scheduler) curl -fsSk "https://127.0.0.1:$SCHEDULER_PORT/healthz" ;;
        kubelet) curl -fsS "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz" ;;
        kube-network-policies) netpol_healthy ;;
    esac
}

ok=0
for name in $COMPONENTS; do
    if ! pid="$(pid_of "$name")"; then
        echo "$name: stopped"; ok=1
    elif health "$name" >/dev/null 2>&1; then
        echo "$name: healthy (pid $pid)"
    else
        echo "$name: running (pid $pid) but unhealthy, see $LOG_DIR/$name.log"; ok=1
    fi
done
if node_ready; then
    echo "node $NODE_NAME: Ready"
else
    echo "node $NODE_NAME: not Ready"; ok=1
fi
exit $ok
