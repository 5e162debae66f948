# Helpers of up.sh, down.sh and status.sh (sourced after common.sh).
#
# Every component runs detached (its own session, stdin closed, log in
# $LOG_DIR/<name>.log) with its pid in $RUN_DIR/<name>.pid; a pid counts as
# ours only while /proc/<pid>/exe is still the binary we started, so a stale
# pid file (reboot, crash) never makes us signal an unrelated process.

kubectl() { "$BIN_DIR/kubectl" --kubeconfig="$KUBECONFIG_ADMIN" "$@"; }
# ctr: the CLI built with our containerd (never Debian's 1.6 one, whatever PATH says).
ctr() { "$BIN_DIR/ctr" --address "$CONTAINERD_SOCK" "$@"; }

# pid_of NAME: the running component's pid, or nothing. Its binary may have
# been rebuilt since it started ("... (deleted)"): still ours, and stale.
pid_of() {
    local file="$RUN_DIR/$1.pid" pid exe
    [ -f "$file" ] || return 1
    pid="$(cat "$file")"
    exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || return 1
    [ "${exe% (deleted)}" = "$(cat "$RUN_DIR/$1.exe" 2>/dev/null)" ] || return 1
    echo "$pid"
}

# api PATH: GET from the API server as admin (curl starts far faster than
# kubectl, which matters for the checks of an already running cluster).
api() {
    curl -fsS --cacert "$PKI_DIR/ca.crt" --cert "$PKI_DIR/admin.crt" --key "$PKI_DIR/admin.key" \
        "https://127.0.0.1:$APISERVER_PORT$1"
}

node_ready() {
    api "/api/v1/nodes/$NODE_NAME" 2>/dev/null | python3 -c '
import json, sys
conditions = json.load(sys.stdin)["status"].get("conditions", [])
sys.exit(not any(c["type"] == "Ready" and c["status"] == "True" for c in conditions))'
}

# fingerprint ARGS...: the arguments and the config files they name, so a
# component is restarted when its command line or configuration changed.
fingerprint() {
    local arg
    for arg in "$@"; do
        echo "$arg"
        arg="${arg#*=}"
        case "$arg" in *.toml|*.yaml) cat "$arg" 2>/dev/null ;; esac
    done | sha256sum | cut -d' ' -f1
}

# start NAME BINARY ARGS...: start it detached unless it already runs as asked.
# START_EXE: the binary the process ends up running when BINARY is a wrapper
# that execs it (what pid_of then checks); default BINARY.
start() {
    local name="$1" binary exe pid want
    shift
    binary="$(command -v "$1")"
    exe="$(readlink -f "${START_EXE:-$binary}")"
    want="$(fingerprint "$@")"
    if pid="$(pid_of "$name")"; then
        if [ "$(readlink "/proc/$pid/exe")" = "$exe" ] &&
            [ "$(cat "$RUN_DIR/$name.fingerprint" 2>/dev/null)" = "$want" ]; then
            return 0
        fi
        say "restarting $name: its binary, flags or configuration changed"
        stop "$name"
    fi
    [ -f "$LOG_DIR/$name.log" ] && mv -f "$LOG_DIR/$name.log" "$LOG_DIR/$name.log.1"
    # The subshell is not a process-group leader, so setsid keeps its pid; fd 9
    # (the lock) is closed so a daemon never holds the lock after up.sh ends.
    (exec setsid "$binary" "${@:2}" </dev/null >"$LOG_DIR/$name.log" 2>&1 9>&-) &
    echo $! >"$RUN_DIR/$name.pid"
    echo "$exe" >"$RUN_DIR/$name.exe"
    echo "$want" >"$RUN_DIR/$name.fingerprint"
}

# stop NAME: SIGTERM, then SIGKILL after 10 s.
stop() {
    local pid
    pid="$(pid_of "$1")" || { rm -f "$RUN_DIR/$1.pid"; return 0; }
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
    rm -f "$RUN_DIR/$1.pid"
    say "stopped $1"
}

# wait_healthy NAME COMMAND: poll COMMAND until it succeeds; on timeout or when
# the component died, fail with the end of its log.
wait_healthy() {
    local name="$1" check="$2" deadline=$((SECONDS + ${HOSTING_CLUSTER_TIMEOUT:-120}))
    local log="$LOG_DIR/${1%% *}.log"
    until eval "$check" >/dev/null 2>&1; do
        if [ -f "$RUN_DIR/$name.pid" ] && ! pid_of "$name" >/dev/null; then
            tail -n 30 "$log" >&2 || true
            fail "$name exited (log: $log)"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            [ -f "$log" ] && tail -n 30 "$log" >&2
            fail "$name not healthy within ${HOSTING_CLUSTER_TIMEOUT:-120} s"
        fi
        sleep 0.1
    done
}

# The node's bridge exists before the kubelet starts: its address is the
# node IP the kubelet serves on. The CNI bridge plugin then adopts it.
ensure_bridge() {
    if ! ip link show "$CNI_BRIDGE" >/dev/null 2>&1; then
        ip link add "$CNI_BRIDGE" type bridge
    fi
    if ! ip -4 addr show dev "$CNI_BRIDGE" | grep -q "inet $NODE_IP/"; then
        ip addr add "$NODE_IP/${POD_CIDR#*/}" dev "$CNI_BRIDGE"
    fi
    ip link set "$CNI_BRIDGE" up
}

# The pod sandbox image, imported again whenever build.sh made a new pause binary.
import_pause_image() {
    local stamp="$STATE_DIR/pause.sha256" want
    want="$(sha256sum "$BIN_DIR/pause" | cut -d' ' -f1)"
    if ctr -n k8s.io images ls -q 2>/dev/null | grep -qx "$PAUSE_IMAGE" && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    "$here/pause_image.sh" "$BIN_DIR/pause" "$PAUSE_IMAGE" "$RUN_DIR/pause.tar"
    ctr -n k8s.io images import "$RUN_DIR/pause.tar" >/dev/null || fail "importing the pause image failed"
    rm -f "$RUN_DIR/pause.tar"
    echo "$want" >"$stamp"
}

# write_if_changed PATH: stdin to PATH when different (restarts see no change).
write_if_changed() {
    local tmp
    tmp="$(mktemp)"
    cat >"$tmp"
    if [ -f "$1" ] && cmp -s "$tmp" "$1"; then rm -f "$tmp"; return 0; fi
    mkdir -p "$(dirname "$1")"
    mv "$tmp" "$1"
    chmod 0644 "$1"
}

write_configs() {
    mkdir -p "$STATE_DIR/certs.d" "$STATE_DIR/cni" "$STATE_DIR/pod-logs"
    write_containerd_config
    write_cni_config
    write_kubelet_config
}

# containerd 2 (built by build.sh; Debian's 1.6 cannot run pods with
# `hostUsers: false`) on its own socket and directories, beside (never instead
# of) a system containerd. Config version 3: the CRI plugin is split into
# cri.v1.images (sandbox image, registries) and cri.v1.runtime (the rest).
# restrict_oom_score_adj: this host refuses lowering oom_score_adj. Pod network
# namespaces live under our state dir, not /run/netns. Unprivileged ports stay
# as they were with 1.6 (containerd 2 opens ports below 1024 to every pod by
# default): an app binds one only with NET_BIND_SERVICE, which the platform
# grants for a port below 1024 alone. The shim and runc: ours, by path (runc is
# off PATH; without runtime_path the CRI plugin cannot ask the shim what runc
# supports, and reports no user namespaces).
# Registries: one hosts.toml per host:port in certs.d (trust_registry.sh), so
# our plain-HTTP registries can be pulled from.
write_containerd_config() {
    write_if_changed "$STATE_DIR/containerd.toml" <<EOF
version = 3
root = "$STATE_DIR/containerd"
state = "$RUN_DIR/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.erofs"]

[grpc]
  address = "$CONTAINERD_SOCK"

[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$STATE_DIR/containerd-opt"

[plugins."io.containerd.cri.v1.images".pinned_images]
  sandbox = "$PAUSE_IMAGE"

[plugins."io.containerd.cri.v1.images".registry]
  config_path = "$STATE_DIR/certs.d"

[plugins."io.containerd.cri.v1.runtime"]
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_unprivileged_ports = false
  enable_unprivileged_icmp = false

[plugins."io.containerd.cri.v1.runtime".containerd]
  default_runtime_name = "runc"

[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
  runtime_path = "$BIN_DIR/containerd-shim-runc-v2"

[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
  BinaryName = "$RUNC"
  SystemdCgroup = false

[plugins."io.containerd.cri.v1.runtime".cni]
  bin_dirs = ["/usr/lib/cni"]
  conf_dir = "$STATE_DIR/cni"
EOF
}

write_cni_config() {
    write_if_changed "$STATE_DIR/cni/10-hosting.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "hosting",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CNI_BRIDGE",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$STATE_DIR/cni-ipam"
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}

# podPidsLimit: every pod's pids cgroup is capped at POD_PIDS_LIMIT.
# Hybrid (v1) cgroups, no swap, a disk that may be fuller than the default
# eviction thresholds, and images imported by hand that must never be
# garbage-collected (nothing can be pulled back from the internet).
# Image credentials: an image the kubelet pulled with a pull secret stays
# private to pods holding valid credentials for it (checked again, also
# for pods asking for the same image by another name), so one tenant cannot
# run another's cached image. Only images imported by hand under localhost/
# (podman's local names, e.g. the test images) are usable by every pod.
write_kubelet_config() {
    write_if_changed "$STATE_DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $PKI_DIR/kubelet-serving.crt
tlsPrivateKeyFile: $PKI_DIR/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI_DIR/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
protectKernelDefaults: false
resolvConf: /etc/resolv.conf
podLogsDir: $STATE_DIR/pod-logs
staticPodPath: ""
serializeImagePulls: false
podPidsLimit: $POD_PIDS_LIMIT
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
imagePullCredentialsVerificationPolicy: NeverVerifyAllowlistedImages
preloadedImagesVerificationAllowlist: ["localhost/*"]
evictionHard:
  memory.available: 50Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
clusterDomain: cluster.local
EOF
}
