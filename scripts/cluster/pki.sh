#!/bin/bash
# Create the cluster's certificates, keys and kubeconfigs under $PKI_DIR and
# $STATE_DIR (once: existing files are kept, so restarts keep the identity
# pods and clients already trust). Sourced settings: common.sh.
#
# One CA signs everything (serving and client certificates): the cluster is a
# single machine's test cluster, reached only on loopback and its own bridge.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/cluster/common.sh
. "$here/common.sh"

DAYS=3650
umask 077
mkdir -p "$PKI_DIR"
cd "$PKI_DIR"

ossl() { openssl "$@" 2>/dev/null || fail "openssl $1 failed"; }

# cert NAME SUBJECT EXTENSIONS: a key and a CA-signed certificate, unless present.
cert() {
    [ -f "$1.crt" ] && return 0
    ossl genrsa -out "$1.key" 2048
    ossl req -new -key "$1.key" -subj "$2" -out "$1.csr"
    printf '%s\n' "$3" >"$1.ext"
    ossl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$DAYS" \
        -sha256 -extfile "$1.ext" -out "$1.crt"
    rm -f "$1.csr" "$1.ext"
}

client() {
    cert "$1" "$2" "keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
}

server() {
    cert "$1" "$2" "keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$3"
}

# kubeconfig NAME CERT: a self-contained kubeconfig (certificates embedded, so
# it can be copied) for the API server with that client certificate.
kubeconfig() {
    local out="$STATE_DIR/$1.kubeconfig"
    [ -f "$out" ] && return 0
    cat >"$out.tmp" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: hosting
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 ca.crt)
users:
- name: $1
  user:
    client-certificate-data: $(base64 -w0 "$2.crt")
    client-key-data: $(base64 -w0 "$2.key")
contexts:
- name: hosting
  context:
    cluster: hosting
    user: $1
current-context: hosting
KUBECONFIG
    chmod 0600 "$out.tmp"
    mv "$out.tmp" "$out"
}

if ! [ -f ca.crt ]; then
    ossl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days "$DAYS" \
        -subj "/CN=hosting-cluster-ca" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
fi
[ -f sa.key ] || { ossl genrsa -out sa.key 2048; ossl rsa -in sa.key -pubout -out sa.pub; }

service_ip="${SERVICE_CIDR%.*}.1"
server apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:$service_ip,IP:$NODE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
server kubelet-serving "/CN=system:node:$NODE_NAME/O=system:nodes" "IP:$NODE_IP,IP:127.0.0.1,DNS:$NODE_NAME"
client admin "/CN=hosting-admin/O=system:masters"
client apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client/O=system:masters"
client kubelet "/CN=system:node:$NODE_NAME/O=system:nodes"
client controller-manager "/CN=system:kube-controller-manager"
client scheduler "/CN=system:kube-scheduler"
# The API server's identity towards aggregated API servers (e.g. a metrics-server).
client front-proxy-client "/CN=front-proxy-client"

kubeconfig admin admin
kubeconfig kubelet kubelet
kubeconfig controller-manager controller-manager
kubeconfig scheduler scheduler
chmod 0644 ca.crt
