#!/bin/sh
# Build the platform image with podman: docker/build.sh [podman build options...]
#   IMAGE  the tag (default localhost/hosting:latest)
#   BASE   the base image (default: localhost/hosting-base:bookworm, made offline by
#          docker/base_image.sh). With Docker Hub: BASE=docker.io/library/python:3.11-slim
# Only Debian's package mirror and PyPI are reached during the build. Prints the tag.
set -eu
cd "$(dirname "$0")/.."
image="${IMAGE:-localhost/hosting:latest}"
base="${BASE:-$(docker/base_image.sh | tail -n 1)}"
set -- --build-arg "BASE=$base" "$@"
# A host whose TLS goes through its own CA (pip's PIP_CERT) lends the bundle to the build.
ca="${PIP_CERT:-}"
if [ -n "$ca" ] && [ -s "$ca" ]; then
    set -- --volume "$ca:/run/host-ca.crt:ro" "$@"
fi
# Docker format: OCI images drop HEALTHCHECK.
podman build --pull=never --layers --format docker -f docker/Containerfile -t "$image" "$@" . >&2
echo "$image"
