#!/bin/sh
# Build the platform image's base offline from Debian's packages (no image can be
# pulled here): `debootstrap --variant=minbase bookworm` into a cached directory, then
# `podman import` it as localhost/hosting-base:bookworm. Prints the image name.
#
# Env: HOSTING_IMAGE_CACHE (default /var/cache/hosting-image), BASE_IMAGE (the name),
#      DEBIAN_MIRROR (default: the first Debian mirror in /etc/apt/sources.list*).
# The rootfs is kept in the cache, so a second run after `podman rmi` only re-imports.
# With Docker Hub access none of this is needed: docker/build.sh --build-arg
# BASE=docker.io/library/python:3.11-slim (see docker/Containerfile).
set -eu
cache="${HOSTING_IMAGE_CACHE:-/var/cache/hosting-image}"
image="${BASE_IMAGE:-localhost/hosting-base:bookworm}"
suite=bookworm

if podman image exists "$image"; then
    echo "$image"
    exit 0
fi

mirror() {
    [ -n "${DEBIAN_MIRROR:-}" ] && { echo "$DEBIAN_MIRROR"; return; }
    # deb822 (URIs: ...) or one-line (deb URL suite ...) sources; the main archive only.
    found="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
        | sed -n -e 's/^URIs:[[:space:]]*//p' -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' \
        | tr ' ' '\n' | grep -v -e security -e '^$' | head -n 1)"
    echo "${found:-http://deb.debian.org/debian}"
}

rootfs="$cache/$suite-minbase"
if [ ! -f "$rootfs/.complete" ]; then
    command -v debootstrap >/dev/null || {
        echo "base_image.sh: debootstrap is missing (apt-get install debootstrap)" >&2
        exit 1
    }
    rm -rf "$rootfs"
    mkdir -p "$cache"
    src="$(mirror)"
    echo "debootstrap $suite from $src into $rootfs" >&2
    debootstrap --variant=minbase --include=ca-certificates "$suite" "$rootfs" "$src" >&2
    # The image installs its packages at build time with apt: updates and security too.
    printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s-security %s-security main\n' \
        "$src" "$suite" "$src" "$suite" "${src%/debian}/debian" "$suite" \
        >"$rootfs/etc/apt/sources.list"
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
    touch "$rootfs/.complete"
fi
tar -C "$rootfs" --exclude=./.complete -c . \
    | podman import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' - "$image" >&2
echo "$image"
