#!/bin/bash
# Start the machine's single-node Kubernetes cluster, or check that it runs.
#
# Idempotent: components already running with the same binary, flags and
# config are left alone, others are (re)started (about 1 s when the whole
# cluster runs; about 6 s from stopped once built). Builds the binaries
# first when they are missing (build.sh). A lock serialises concurrent callers
# (several worktrees, parallel test sessions), so only one starts the cluster.
# Prints nothing on success except progress on stderr; `env.sh` prints the
# KUBECONFIG to use. Must run as root. Ports and paths: common.sh.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/cluster/common.sh
. "$here/common.sh"
# shellcheck source=scripts/cluster/daemons.sh
. "$here/daemons.sh"
# shellcheck source=scripts/cluster/network_policies.sh
. "$here/network_policies.sh"

[ "$(id -u)" -eq 0 ] || fail "up.sh must run as root (it starts containerd and the kubelet)"
for tool in etcd openssl curl flock ip iptables-restore unshare; do
    command -v "$tool" >/dev/null || fail "$tool missing: run scripts/install_system.sh"
done
[ -x /usr/lib/cni/bridge ] || fail "CNI plugins missing: run scripts/install_system.sh"

mkdir -p "$STATE_DIR" "$RUN_DIR" "$LOG_DIR"
exec 9>"$STATE_DIR/lock"
flock -w 3600 9 || fail "timed out waiting for $STATE_DIR/lock (another up.sh/down.sh)"

"$here/build.sh"
"$here/pki.sh"
write_configs
"$here/trust_registry.sh" 127.0.0.1:5000
ensure_bridge

start etcd etcd --name hosting --data-dir "$STATE_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "hosting=http://127.0.0.1:$ETCD_PEER_PORT"
start containerd "$BIN_DIR/containerd" --config "$STATE_DIR/containerd.toml"
wait_healthy etcd "curl -fsS http://127.0.0.1:$ETCD_PORT/health"

# No kube-proxy: aggregated API servers are reached at their endpoints.
start kube-apiserver "$BIN_DIR/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --secure-port="$APISERVER_PORT" --advertise-address="$NODE_IP" \
    --tls-cert-file="$PKI_DIR/apiserver.crt" --tls-private-key-file="$PKI_DIR/apiserver.key" \
    --client-ca-file="$PKI_DIR/ca.crt" \
    --kubelet-client-certificate="$PKI_DIR/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI_DIR/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI_DIR/ca.crt" \
    --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI_DIR/sa.pub" \
    --service-account-signing-key-file="$PKI_DIR/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --requestheader-client-ca-file="$PKI_DIR/ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$PKI_DIR/front-proxy-client.crt" \
    --proxy-client-key-file="$PKI_DIR/front-proxy-client.key" \
    --enable-aggregator-routing=true --profiling=false

wait_healthy containerd "ctr version"
import_pause_image
wait_healthy kube-apiserver "api /readyz"

kubeconfig_flags() {
    local kc="$STATE_DIR/$1.kubeconfig"
    echo "--kubeconfig=$kc --authentication-kubeconfig=$kc --authorization-kubeconfig=$kc"
}
# shellcheck disable=SC2046
start kube-controller-manager "$BIN_DIR/kube-controller-manager" \
    $(kubeconfig_flags controller-manager) \
    --bind-address=127.0.0.1 --secure-port="$CONTROLLER_MANAGER_PORT" \
    --cert-dir="$STATE_DIR/controller-manager" --leader-elect=false \
    --service-account-private-key-file="$PKI_DIR/sa.key" --root-ca-file="$PKI_DIR/ca.crt" \
    --use-service-account-credentials=true --service-cluster-ip-range="$SERVICE_CIDR" \
    --cluster-signing-cert-file="$PKI_DIR/ca.crt" --cluster-signing-key-file="$PKI_DIR/ca.key" \
    --profiling=false
# shellcheck disable=SC2046
start kube-scheduler "$BIN_DIR/kube-scheduler" $(kubeconfig_flags scheduler) \
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" \
    --cert-dir="$STATE_DIR/scheduler" --leader-elect=false --profiling=false
start kubelet "$BIN_DIR/kubelet" --config="$STATE_DIR/kubelet.yaml" \
    --kubeconfig="$STATE_DIR/kubelet.kubeconfig" --hostname-override="$NODE_NAME" \
    --node-ip="$NODE_IP" --root-dir="$STATE_DIR/kubelet"

wait_healthy kube-controller-manager "curl -fsSk https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz"
# NetworkPolicy is enforced before the node reports Ready (network_policies.sh).
start_netpol
wait_healthy kube-scheduler "curl -fsSk https://127.0.0.1:$SCHEDULER_PORT/healthz"
wait_healthy kubelet "curl -fsS http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz"
wait_healthy "node $NODE_NAME Ready" node_ready
say "up: export KUBECONFIG=$KUBECONFIG_ADMIN"
