# Shared settings of the local cluster scripts (sourced, not run).
#
# One cluster per machine: binaries in a cache keyed by version, state (certs,
# etcd data, logs, pids) in one machine-wide directory, so every worktree and
# clone of the repository shares the same cluster.
#
# Ports (all on 127.0.0.1; chosen away from the defaults so that a cluster or
# etcd already on the machine does not collide):
#   etcd client 12379, etcd peer 12380, kube-apiserver 16443,
#   kubelet 20250 (healthz 20248), controller-manager 20257, scheduler 20259,
#   kube-network-policies metrics 20290,
#   containerd: its own socket under $STATE_DIR/run (not the system one).
# Networks: pods 10.244.0.0/24 on bridge hosting-cni0, services 10.245.0.0/24.

K8S_VERSION="$(awk '/^require k8s.io\/kubernetes /{print $3}' "$(dirname "${BASH_SOURCE[0]}")/go.mod")"
CACHE_ROOT="${HOSTING_CLUSTER_CACHE:-/var/cache/hosting-cluster}"
BIN_DIR="$CACHE_ROOT/$K8S_VERSION/bin"
# The container runtime, built from containerd/ and runc/ (their own modules):
# containerd, its shim and ctr beside the Kubernetes binaries; runc apart, in
# libexec, so that nothing putting $BIN_DIR on PATH hands it to Podman (which
# keeps Debian's runc). Debian's containerd 1.6 cannot run user namespaces.
CONTAINERD_VERSION="$(awk '/^require github.com\/containerd\/containerd\/v2 /{print $3}' "$(dirname "${BASH_SOURCE[0]}")/containerd/go.mod")"
RUNC_VERSION="$(awk '/^require github.com\/opencontainers\/runc /{print $3}' "$(dirname "${BASH_SOURCE[0]}")/runc/go.mod")"
LIBEXEC_DIR="$CACHE_ROOT/$K8S_VERSION/libexec"
RUNC="$LIBEXEC_DIR/runc"
STATE_DIR="${HOSTING_CLUSTER_STATE:-/var/lib/hosting-cluster}"
RUN_DIR="$STATE_DIR/run"
LOG_DIR="$STATE_DIR/log"
PKI_DIR="$STATE_DIR/pki"
KUBECONFIG_ADMIN="$STATE_DIR/admin.kubeconfig"
CONTAINERD_SOCK="$RUN_DIR/containerd.sock"
NODE_NAME="hosting-node"
ETCD_PORT=12379
ETCD_PEER_PORT=12380
APISERVER_PORT=16443
KUBELET_PORT=20250
KUBELET_HEALTHZ_PORT=20248
CONTROLLER_MANAGER_PORT=20257
SCHEDULER_PORT=20259
POD_CIDR="10.244.0.0/24"
# The bridge's own address: the node's InternalIP (the kubelet refuses a loopback
# node IP), where the API server reaches the kubelet. Not on any outside interface.
NODE_IP="10.244.0.1"
SERVICE_CIDR="10.245.0.0/24"
CNI_BRIDGE="hosting-cni0"
PAUSE_IMAGE="localhost/hosting-pause:1"
# Processes (threads included) one pod may run, as RUNTIME_PIDS_LIMIT per container
# on Podman: a fork bomb stays inside its pod (the kubelet's podPidsLimit).
POD_PIDS_LIMIT=256
# The NetworkPolicy enforcer (network_policies.sh): its release and the netfilter
# queue it decides on.
NETPOL_VERSION="$(awk '/^require sigs.k8s.io\/kube-network-policies /{print $3}' "$(dirname "${BASH_SOURCE[0]}")/netpol/go.mod")"
NETPOL_METRICS_PORT=20290
NETPOL_QUEUE=100
COMPONENTS="etcd containerd kube-apiserver kube-controller-manager kube-scheduler kubelet
kube-network-policies"

say() { echo "cluster: $*" >&2; }
fail() { echo "cluster: error: $*" >&2; exit 1; }
