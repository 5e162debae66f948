#!/bin/bash
# Stop the machine's cluster: the kubelet first (so it restarts nothing), the
# pods' containers, then the control plane, containerd and etcd. State (etcd
# data, certificates, imported images) is kept, so the next up.sh is quick and
# finds the same objects. `down.sh --purge` also deletes all of it.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/cluster/common.sh
. "$here/common.sh"
# shellcheck source=scripts/cluster/daemons.sh
. "$here/daemons.sh"
# shellcheck source=scripts/cluster/network_policies.sh
. "$here/network_policies.sh"

[ "$(id -u)" -eq 0 ] || fail "down.sh must run as root"
[ -d "$STATE_DIR" ] || exit 0
exec 9>"$STATE_DIR/lock"
flock -w 600 9 || fail "timed out waiting for $STATE_DIR/lock"

# The pods' containers outlive containerd (each has its own shim): kill them
# through containerd while it still runs. The next start's kubelet cleans the
# dead sandboxes up (network included).
stop_pod_containers() {
    pid_of containerd >/dev/null || return 0
    local id
    for id in $(ctr -n k8s.io tasks ls -q 2>/dev/null); do
        ctr -n k8s.io tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
    done
    for id in $(ctr -n k8s.io tasks ls -q 2>/dev/null); do
        for _ in $(seq 50); do ctr -n k8s.io tasks delete "$id" >/dev/null 2>&1 && break; sleep 0.1; done
    done
}

# The bridge plugin's masquerade rules (one chain a pod, tagged with our network
# name) would outlive the sandboxes deleted with the state.
remove_masquerade_rules() {
    local rule chain
    # No rule left (grep finds none) is fine: pipefail would end the purge there.
    iptables -t nat -S POSTROUTING | { grep -F 'name: \"hosting\"' || true; } | while read -r rule; do
        chain="${rule##*-j }"
        eval "iptables -t nat ${rule/-A/-D}" || true
        iptables -t nat -F "$chain" 2>/dev/null && iptables -t nat -X "$chain" 2>/dev/null || true
    done
}

stop kubelet
stop_pod_containers
# Without the enforcer its queue has no reader: the rules feeding it go too.
stop kube-network-policies
netpol_remove_host_rules
for name in kube-scheduler kube-controller-manager kube-apiserver containerd etcd; do
    stop "$name"
done

if [ "${1:-}" = "--purge" ]; then
    # Volumes the kubelet mounted (service-account tokens are tmpfs) go first.
    awk -v dir="$STATE_DIR/" 'index($2, dir) == 1 {print $2}' /proc/mounts | sort -r |
        while read -r mount; do umount -l "$mount" || true; done
    ip link del "$CNI_BRIDGE" 2>/dev/null || true
    remove_masquerade_rules
    rm -rf "$STATE_DIR"
    say "purged $STATE_DIR"
fi
