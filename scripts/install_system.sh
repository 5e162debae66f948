#!/bin/sh
# Install the Debian packages the platform needs and write the host-level
# Podman configuration described in DESIGN.md ("Environment notes").
#
# Idempotent and quiet: when every package is present and the config files
# already hold the wanted content, it does nothing and prints nothing.
# Must run as root (CI: `sudo scripts/install_system.sh`).
#
# Environment:
#   HOSTING_EXTRA_PACKAGES  more Debian packages to install (space separated)
#   HOSTING_INSECURE_REGISTRY  registry location marked insecure, default
#                              "127.0.0.1" (no port: covers every loopback port,
#                              which tests need because they start registries on
#                              random free ports; see docs/podman-notes.md)
set -eu

# netavark, aardvark-dns, iptables and catatonit are podman's recommends that
# matter here: without them --no-install-recommends can leave podman on the
# CNI network backend, without port publishing rules or without --init.
# etcd-server, containernetworking-plugins and conntrack run the local Kubernetes
# cluster (scripts/cluster/, on their own sockets and ports); its containerd 2 and
# runc are built from source (scripts/cluster/build.sh), runc with cgo and
# libseccomp (libseccomp-dev, pkg-config).
PACKAGES="podman runc docker-registry haproxy redis-server postgresql chromium busybox-static podman-compose debootstrap
uidmap slirp4netns fuse-overlayfs netavark aardvark-dns iptables catatonit gettext fonts-wqy-microhei wrk
etcd-server containernetworking-plugins conntrack libseccomp-dev pkg-config
${HOSTING_EXTRA_PACKAGES:-}"
INSECURE="${HOSTING_INSECURE_REGISTRY:-127.0.0.1}"

if [ "$(id -u)" -ne 0 ]; then
    echo "install_system.sh: must run as root" >&2
    exit 1
fi

missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $pkg"
    fi
done

if [ -n "$missing" ]; then
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
    # The Debian packages start their daemons; the platform runs its own
    # instances on loopback with its own configs, so stop the system ones
    # when there is a service manager to ask (best effort, never fatal).
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        for unit in docker-registry haproxy etcd; do
            case "$missing" in *"$unit"*)
                systemctl disable --now "$unit" >/dev/null 2>&1 || true ;;
            esac
        done
    fi
fi

# write_if_changed PATH: write stdin to PATH only when the content differs.
write_if_changed() {
    tmp="$(mktemp)"
    cat >"$tmp"
    if [ -f "$1" ] && cmp -s "$tmp" "$1"; then
        rm -f "$tmp"
        return 0
    fi
    mkdir -p "$(dirname "$1")"
    install -m 0644 "$tmp" "$1"
    rm -f "$tmp"
    echo "wrote $1"
}

# Events go to a file: these hosts (and CI containers) often have no journald.
write_if_changed /etc/containers/containers.conf <<'CONF'
# Written by scripts/install_system.sh (hosting platform). Local edits are
# overwritten on the next run.
[containers]
# Keep the container ulimits under the host's hard limits: Podman's default
# (nofile=1048576, nproc from the host) makes runc fail with
# "error setting rlimit type 7: operation not permitted".
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
log_driver = "k8s-file"

[engine]
# crun fails with "cgroups in hybrid mode" on these hosts; runc works.
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF

# userns=auto (RUNTIME_USERNS, the default): uid 0 in a tenant container maps to an
# unprivileged host uid taken from the `containers` ranges (podman 4.3: without them,
# "no subuid ranges found for user \"containers\"").
for idfile in /etc/subuid /etc/subgid; do
    if ! grep -q '^containers:' "$idfile" 2>/dev/null; then
        echo "containers:2147483647:2147483648" >>"$idfile"
        echo "added the containers range to $idfile"
    fi
done

# The local cluster's kubelet (scripts/cluster/) gives each pod with `hostUsers: false`
# 65536 host ids out of the ranges of the user `kubelet` (read with getsubids, from
# uidmap); without that user it draws them from anywhere above 65535, Podman's range
# above included. This range ends below Podman's, so a pod never holds the host uid of
# a Podman container; 32766 pods of 65536 ids (a multiple of 65536, as the kubelet needs).
if ! getent passwd kubelet >/dev/null; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kubelet
    echo "added the system user kubelet"
fi
for idfile in /etc/subuid /etc/subgid; do
    if ! grep -q '^kubelet:' "$idfile" 2>/dev/null; then
        echo "kubelet:65536:2147352576" >>"$idfile"
        echo "added the kubelet range to $idfile"
    fi
done

write_if_changed /etc/containers/registries.conf.d/50-hosting-local.conf <<CONF
# Written by scripts/install_system.sh (hosting platform).
# The platform's registry speaks plain HTTP on loopback. A location without a
# port also matches every port of that host (containers/image's prefix match
# lets "127.0.0.1" match "127.0.0.1:41234"; checked with podman 4.3), so
# registries that tests start on random free ports are covered. Its source
# calls that match unintended, so the default port is also listed explicitly.
# Read when podman (or its API service) starts: restart
# "podman system service" after changing this file.
[[registry]]
location = "127.0.0.1:5000"
insecure = true

[[registry]]
location = "$INSECURE"
insecure = true

[[registry]]
location = "localhost"
insecure = true
CONF
