# The cluster's NetworkPolicy enforcer: helpers of up.sh, down.sh and status.sh
# (sourced after common.sh and daemons.sh).
#
# The bridge CNI plugin enforces no NetworkPolicy. kube-network-policies
# (sigs.k8s.io, built by build.sh) does: its nftables chain sends the first packet
# of each new connection to or from a pod that some policy selects to a netfilter
# queue, decides it in userspace against the policies, and conntrack lets the
# rest of an allowed connection through. It runs on the host like the other
# components, reading the API as a service account of its own.
#
# Its chain hooks POSTROUTING, which a pod's connection to the host itself never
# crosses (that one ends in INPUT). Our table sends new connections from the pod
# bridge to the host into the same queue, so the source pod's egress policy
# decides them too: tenants' policies deny private ranges (the node IP included),
# while pods no policy selects (the platform's own) still reach the host.
# Fail closed: with the enforcer stopped, such packets are dropped, not let through.

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

# New connections from pods to the host go to the enforcer (see above). Replaced
# as a whole in one transaction, so a restart never leaves a gap nor a duplicate.
netpol_host_rules() {
    nft -f - <<NFT || fail "loading the nftables table $NETPOL_TABLE failed"
table inet $NETPOL_TABLE
delete table inet $NETPOL_TABLE
table inet $NETPOL_TABLE {
    chain pods-to-host {
        type filter hook input priority filter - 5; policy accept;
        iifname "$CNI_BRIDGE" ct state new queue num $NETPOL_QUEUE
    }
}
NFT
}

netpol_remove_host_rules() {
    nft delete table inet "$NETPOL_TABLE" 2>/dev/null || true
}

start_netpol() {
    netpol_credentials
    netpol_host_rules
    # NRI (the runtime telling pod IPs early) needs containerd >= 1.7: the enforcer
    # reads pod IPs from the API server instead. The DNS race workaround is for
    # kernels before 6.12 only (the flag's help).
    START_EXE="$BIN_DIR/kube-network-policies" start kube-network-policies \
        unshare --mount --propagation private \
        "$here/in_cluster.sh" "$NETPOL_DIR/run" 127.0.0.1 "$APISERVER_PORT" \
        "$BIN_DIR/kube-network-policies" --hostname-override="$NODE_NAME" \
        --nfqueue-id="$NETPOL_QUEUE" --metrics-bind-address="127.0.0.1:$NETPOL_METRICS_PORT" \
        --disable-nri=true --netfilter-bug-1766-fix="$(netpol_needs_dns_fix)" \
        --admin-network-policy=false --baseline-admin-network-policy=false
}

# true on kernels before 6.12 (netfilter bug 1766), false after.
netpol_needs_dns_fix() {
    local release major minor
    release="$(uname -r)"; major="${release%%.*}"; minor="${release#*.}"; minor="${minor%%.*}"
    if [ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 12 ]; }; then
        echo false
    else
        echo true
    fi
}

# Serving metrics, with its own table (made once its caches synced) and ours.
netpol_healthy() {
    curl -fsS "http://127.0.0.1:$NETPOL_METRICS_PORT/metrics" >/dev/null &&
        nft list table inet kube-network-policies >/dev/null 2>&1 &&
        nft list table inet "$NETPOL_TABLE" >/dev/null 2>&1
}
