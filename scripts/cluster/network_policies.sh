# The cluster's NetworkPolicy enforcer: helpers of up.sh, down.sh and status.sh
# (sourced after common.sh and daemons.sh).
#
# The bridge CNI plugin enforces no NetworkPolicy. kube-network-policies
# (sigs.k8s.io, built by build.sh) decides them: it reads the first packet of each
# new connection from a netfilter queue, judges it against the policies of the
# source pod (egress) and of the destination pod (ingress), and conntrack lets the
# rest of an allowed connection through. It runs on the host like the other
# components, reading the API as a service account of its own.
#
# Which packets reach the queue is ours to say: its own nftables rules use the
# nft `queue` expression, which this kernel lacks (CONFIG_NFT_QUEUE unset; the
# enforcer logs that its sync fails, and keeps deciding). iptables' NFQUEUE
# target works, so two chains of ours (mangle table) queue:
# - in POSTROUTING, every new connection from or to a pod (pod to pod across the
#   bridge with br_netfilter, pod to the internet, host to pod), except those of
#   the host's root processes (the kubelet's probes), as the enforcer's own rules
#   would; pods no policy selects are let through by the enforcer;
# - in INPUT, every new connection from the pod bridge to the host itself, which
#   POSTROUTING never sees: the source pod's egress policy decides it (tenants'
#   policies deny the nodes and private ranges; the platform's pods have none).
# Fail closed: while the enforcer is stopped, queued packets are dropped.

NETPOL_DIR="$STATE_DIR/network-policies"
NETPOL_SECRET="kube-system/secrets/kube-network-policies-token"

# The service account, its role and a long-lived token, applied again only when
# network-policies.yaml changed (kubectl is slow to start; up.sh runs often).
netpol_credentials() {
    local sa_dir="$NETPOL_DIR/run/secrets/kubernetes.io/serviceaccount"
    local want applied="$NETPOL_DIR/applied.sha256" token
    want="$(sha256sum "$here/network-policies.yaml" | cut -d' ' -f1)"
    mkdir -p "$sa_dir"
    if [ "$(cat "$applied" 2>/dev/null)" != "$want" ] || ! netpol_token >/dev/null 2>&1; then
        kubectl apply -f "$here/network-policies.yaml" >/dev/null ||
            fail "applying network-policies.yaml failed"
        echo "$want" >"$applied"
    fi
    wait_healthy "token of the kube-network-policies service account" netpol_token
    token="$(netpol_token)"
    printf '%s' "$token" | write_if_changed "$sa_dir/token"
    chmod 0600 "$sa_dir/token"
    write_if_changed "$sa_dir/ca.crt" <"$PKI_DIR/ca.crt"
}

# The token the controller-manager wrote into the Secret (empty until it did).
netpol_token() {
    api "/api/v1/namespaces/$NETPOL_SECRET" | python3 -c '
import base64, json, sys
token = json.load(sys.stdin).get("data", {}).get("token", "")
print(base64.b64decode(token).decode()) if token else sys.exit(1)'
}

NETPOL_CHAIN_OUT="HOSTING-NETPOL-OUT"
NETPOL_CHAIN_IN="HOSTING-NETPOL-IN"

# The queueing rules above. One iptables-restore declares (so empties) and fills
# both chains at once; the jumps into them are added only when missing.
netpol_host_rules() {
    local queue="-j NFQUEUE --queue-num $NETPOL_QUEUE"
    iptables-restore -w --noflush <<RULES || fail "loading the NetworkPolicy queue rules failed"
*mangle
:$NETPOL_CHAIN_OUT - [0:0]
:$NETPOL_CHAIN_IN - [0:0]
-A $NETPOL_CHAIN_OUT -o lo -j RETURN
-A $NETPOL_CHAIN_OUT -m conntrack ! --ctstate NEW -j RETURN
-A $NETPOL_CHAIN_OUT -m owner --uid-owner 0 -j RETURN
-A $NETPOL_CHAIN_OUT -s $POD_CIDR $queue
-A $NETPOL_CHAIN_OUT -d $POD_CIDR $queue
-A $NETPOL_CHAIN_IN -m conntrack --ctstate NEW $queue
COMMIT
RULES
    netpol_jump POSTROUTING -j "$NETPOL_CHAIN_OUT"
    netpol_jump INPUT -i "$CNI_BRIDGE" -j "$NETPOL_CHAIN_IN"
}

netpol_jump() {
    iptables -w -t mangle -C "$@" 2>/dev/null || iptables -w -t mangle -I "$1" 1 "${@:2}" ||
        fail "iptables -t mangle -I $*"
}

netpol_remove_host_rules() {
    local chain
    while iptables -w -t mangle -D POSTROUTING -j "$NETPOL_CHAIN_OUT" 2>/dev/null; do :; done
    while iptables -w -t mangle -D INPUT -i "$CNI_BRIDGE" -j "$NETPOL_CHAIN_IN" 2>/dev/null; do :; done
    for chain in "$NETPOL_CHAIN_OUT" "$NETPOL_CHAIN_IN"; do
        iptables -w -t mangle -F "$chain" 2>/dev/null && iptables -w -t mangle -X "$chain" 2>/dev/null
    done
    return 0
}

# The enforcer first, then the rules that feed its queue (fail closed: rules
# without a reader would drop every new pod connection meanwhile).
start_netpol() {
    netpol_credentials
    # NRI (the runtime telling pod IPs before the API server does) needs containerd
    # >= 1.7: pod IPs come from the API server. The DNS race workaround is part of
    # the enforcer's own nft rules, which this kernel cannot load anyway.
    START_EXE="$BIN_DIR/kube-network-policies" start kube-network-policies \
        unshare --mount --propagation private \
        "$here/in_cluster.sh" "$NETPOL_DIR/run" 127.0.0.1 "$APISERVER_PORT" \
        "$BIN_DIR/kube-network-policies" --hostname-override="$NODE_NAME" \
        --nfqueue-id="$NETPOL_QUEUE" --metrics-bind-address="127.0.0.1:$NETPOL_METRICS_PORT" \
        --disable-nri=true --netfilter-bug-1766-fix=false \
        --admin-network-policy=false --baseline-admin-network-policy=false
    # Not by its name: until the wrapper has exec'd it, the pid is not its binary's yet.
    wait_healthy "kube-network-policies queue" netpol_reading
    netpol_host_rules
}

# The kernel's queue table names a reader (its netlink port id) for our queue.
netpol_reading() {
    awk -v q="$NETPOL_QUEUE" '$1 == q && $2 != 0 {found = 1} END {exit !found}' \
        /proc/net/netfilter/nfnetlink_queue
}

# Serving metrics, reading its queue (a reader's port id in the kernel's table)
# and our rules in place.
netpol_healthy() {
    curl -fsS "http://127.0.0.1:$NETPOL_METRICS_PORT/metrics" >/dev/null && netpol_reading &&
        iptables -w -t mangle -C POSTROUTING -j "$NETPOL_CHAIN_OUT" 2>/dev/null
}
