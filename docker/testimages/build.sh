#!/bin/sh
# Build the offline test images: FROM scratch + the static busybox of the host.
#
#   docker/testimages/build.sh [PREFIX] [NAME...]
#   docker/testimages/build.sh --contexts DIR [NAME...]
#
# The second form builds nothing: it writes ready build contexts (bin/ with
# busybox included) to DIR/NAME, for building through an engine API, e.g.
# docker.DockerClient(...).images.build(path="DIR/httpd", tag=...).
#
# Builds PREFIX/NAME:latest for each NAME (default: every directory here:
# httpd exits wrongport cpuburn logfiles) and prints one tag per line.
# PREFIX defaults to localhost/hosting-test. BUSYBOX overrides the binary
# (default /bin/busybox from busybox-static; it must be statically linked).
# PODMAN overrides the build command (e.g. PODMAN="podman --remote").
# Nothing is pulled: these images build with no network at all.
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
contexts=""
if [ "${1:-}" = "--contexts" ]; then
    contexts="${2:?--contexts needs a directory}"
    shift 2
    set -- "" "$@"
fi
prefix="${1:-localhost/hosting-test}"
prefix="${prefix%/}"
[ $# -gt 0 ] && shift
names="$*"
if [ -z "$names" ]; then
    names="$(cd "$here" && for d in */; do [ -f "$d/Dockerfile" ] && echo "${d%/}"; done)"
fi
busybox="${BUSYBOX:-/bin/busybox}"
podman="${PODMAN:-podman}"

if ! [ -x "$busybox" ]; then
    echo "build.sh: $busybox missing (apt-get install busybox-static)" >&2
    exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT INT TERM

# bin/: busybox plus one symlink per applet, so "/bin/sh", "#!/bin/sh" CGI
# scripts and "podman exec ... ls" work in a scratch image.
mkdir -p "$work/bin"
cp "$busybox" "$work/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$work/bin/$applet"
done

for name in $names; do
    if ! [ -f "$here/$name/Dockerfile" ]; then
        echo "build.sh: no image named $name" >&2
        exit 1
    fi
    ctx="${contexts:-$work}/$name"
    rm -rf "$ctx"
    mkdir -p "$ctx"
    cp -R "$here/$name/." "$ctx/"
    cp -R "$work/bin" "$ctx/bin"
    if [ -n "$contexts" ]; then
        echo "$ctx"
        continue
    fi
    tag="$prefix/$name:latest"
    $podman build --quiet --network=none --pull=never \
        --label org.opencontainers.image.title="hosting testimage $name" \
        -f "$ctx/Dockerfile" -t "$tag" "$ctx" >/dev/null
    echo "$tag"
done
