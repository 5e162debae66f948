#!/bin/bash
# Build the single-node cluster's binaries from Kubernetes' own Go modules
# (no prebuilt release can be downloaded on these machines).
#
# Output: $HOSTING_CLUSTER_CACHE/<version>/bin/{kube-apiserver,
# kube-controller-manager,kube-scheduler,kubelet,kubectl,pause}. The directory is
# keyed by the version in go.mod and stamped with go.sum's hash, so a second
# run builds nothing; Go's build cache lives beside it, so a rebuild after a
# change only relinks. A cold build takes about 5 minutes on 2 cores.
# Beside them, kube-network-policies (the NetworkPolicy enforcer) from its own
# module in netpol/ (its release's dependency versions, not ours), with a stamp
# of its own so changing one never rebuilds the other: about 4.5 CPU-minutes more
# cold (5 min measured on 2 cores shared with other jobs).
# Then the container runtime, containerd 2 (containerd, containerd-shim-runc-v2,
# ctr into bin/) and runc (into <version>/libexec/, off PATH: common.sh), each
# from its own module (containerd/, runc/: their releases' dependency versions)
# under one stamp of their own: about 4 CPU-minutes cold, module downloads
# included (3 min measured on 2 busy cores). runc needs cgo and libseccomp
# (libseccomp-dev, pkg-config).
#
# Environment:
#   HOSTING_CLUSTER_CACHE  cache root, default /var/cache/hosting-cluster
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/cluster/common.sh
. "$here/common.sh"

COMMANDS="kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl pause"
stamp="$BIN_DIR/.stamp"
want="$(cat "$here/go.mod" "$here/go.sum" "$here/pause/main.go" | sha256sum | cut -d' ' -f1)"
netpol_stamp="$BIN_DIR/.stamp-kube-network-policies"
netpol_want="$(cat "$here/netpol/go.mod" "$here/netpol/go.sum" | sha256sum | cut -d' ' -f1)"

kubernetes_built() {
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] || return 1
    for cmd in $COMMANDS; do [ -x "$BIN_DIR/$cmd" ] || return 1; done
}

netpol_built() {
    [ -f "$netpol_stamp" ] && [ "$(cat "$netpol_stamp")" = "$netpol_want" ] &&
        [ -x "$BIN_DIR/kube-network-policies" ]
}

RUNTIME_COMMANDS="$BIN_DIR/containerd $BIN_DIR/containerd-shim-runc-v2 $BIN_DIR/ctr $RUNC"
runtime_stamp="$BIN_DIR/.stamp-containerd"
runtime_want="$(cat "$here/containerd/go.mod" "$here/containerd/go.sum" "$here/runc/go.mod" \
    "$here/runc/go.sum" | sha256sum | cut -d' ' -f1)"

runtime_built() {
    [ -f "$runtime_stamp" ] && [ "$(cat "$runtime_stamp")" = "$runtime_want" ] || return 1
    for cmd in $RUNTIME_COMMANDS; do [ -x "$cmd" ] || return 1; done
}

built() { kubernetes_built && netpol_built && runtime_built; }

if built; then
    exit 0
fi
# Two callers (e.g. a test session and `make cluster`) never build at once:
# the second waits, then finds the binaries built.
mkdir -p "$CACHE_ROOT"
exec 8>"$CACHE_ROOT/build.lock"
flock -w 3600 8 || fail "timed out waiting for $CACHE_ROOT/build.lock"
if built; then
    exit 0
fi
# The Go distribution's own install directory, when it is not on PATH.
PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || fail "go is not installed (Go >= 1.25 is needed to build the cluster)"

# The same version stamp as Kubernetes' release builds (hack/lib/version.sh),
# so `kubectl version` and the node report the release instead of v0.0.0.
minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ldflags="$ldflags -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1"
    ldflags="$ldflags -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
    ldflags="$ldflags -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

export GOCACHE="$CACHE_ROOT/go-build" GOFLAGS="-trimpath -buildvcs=false" CGO_ENABLED=0
mkdir -p "$BIN_DIR" "$GOCACHE"

build_kubernetes() {
    local start=$SECONDS cmd pkg
    say "building Kubernetes $K8S_VERSION into $BIN_DIR (cold: ~5 min on 2 cores)"
    (cd "$here" && go mod download) || fail "go mod download failed (is the Go module proxy reachable?)"
    for cmd in $COMMANDS; do
        pkg="k8s.io/kubernetes/cmd/$cmd"
        [ "$cmd" = pause ] && pkg=./pause
        say "  go build $cmd ($((SECONDS - start)) s)"
        (cd "$here" && go build -ldflags "$ldflags" -o "$BIN_DIR/$cmd.new" "$pkg") \
            || fail "go build $cmd failed"
        mv "$BIN_DIR/$cmd.new" "$BIN_DIR/$cmd"
    done
    echo "$want" >"$stamp"
    say "built Kubernetes in $((SECONDS - start)) s"
}

build_netpol() {
    local start=$SECONDS
    say "building kube-network-policies $NETPOL_VERSION into $BIN_DIR (cold: ~5 min on 2 busy cores)"
    (cd "$here/netpol" && go build -ldflags "-s -w" -o "$BIN_DIR/kube-network-policies.new" \
        sigs.k8s.io/kube-network-policies/cmd) || fail "go build kube-network-policies failed"
    mv "$BIN_DIR/kube-network-policies.new" "$BIN_DIR/kube-network-policies"
    echo "$netpol_want" >"$netpol_stamp"
    say "built kube-network-policies in $((SECONDS - start)) s"
}

# go_build DIR OUT PACKAGE [GO BUILD FLAGS...]: build PACKAGE of the module in
# DIR into OUT, replacing it only once the build succeeded.
go_build() {
    local dir="$1" out="$2" pkg="$3"
    shift 3
    (cd "$here/$dir" && go build "$@" -o "$out.new" "$pkg") || fail "go build $pkg failed"
    mv "$out.new" "$out"
}

# containerd as its Makefile stamps it (`containerd --version`); CGO off leaves
# out only the btrfs snapshotter, which the cluster disables anyway. runc with
# its seccomp support (cgo, libseccomp), as Debian's and the release's.
build_runtime() {
    local start=$SECONDS cmd ldflags="-s -w" pkg=github.com/containerd/containerd/v2
    say "building containerd $CONTAINERD_VERSION and runc $RUNC_VERSION into $BIN_DIR (cold: ~4 min on 2 cores)"
    ldflags="$ldflags -X $pkg/version.Version=$CONTAINERD_VERSION -X $pkg/version.Package=$pkg"
    mkdir -p "$LIBEXEC_DIR"
    for cmd in containerd containerd-shim-runc-v2 ctr; do
        say "  go build $cmd ($((SECONDS - start)) s)"
        go_build containerd "$BIN_DIR/$cmd" "$pkg/cmd/$cmd" -ldflags "$ldflags"
    done
    say "  go build runc ($((SECONDS - start)) s)"
    command -v pkg-config >/dev/null && pkg-config --exists libseccomp ||
        fail "libseccomp-dev and pkg-config are needed to build runc: run scripts/install_system.sh"
    CGO_ENABLED=1 go_build runc "$RUNC" github.com/opencontainers/runc -tags "seccomp urfave_cli_no_docs" \
        -ldflags "-s -w -X main.version=${RUNC_VERSION#v}"
    echo "$runtime_want" >"$runtime_stamp"
    say "built containerd and runc in $((SECONDS - start)) s"
}

kubernetes_built || build_kubernetes
netpol_built || build_netpol
runtime_built || build_runtime
