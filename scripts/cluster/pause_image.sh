#!/bin/bash
# Write the pod sandbox ("pause") image as an OCI archive, built from the
# static binary build.sh made, without any engine or registry:
#   pause_image.sh PAUSE_BINARY IMAGE_REF OUT.tar
# The archive is imported with `ctr -n k8s.io images import`.
set -euo pipefail

binary="$1" ref="$2" out="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# blob FILE MEDIATYPE: store FILE under blobs/sha256 and print its descriptor.
blob() {
    local digest size
    digest="$(sha256sum "$1" | cut -d' ' -f1)"
    size="$(stat -c %s "$1")"
    cp "$1" "$work/layout/blobs/sha256/$digest"
    printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$2" "$digest" "$size"
}

mkdir -p "$work/root" "$work/layout/blobs/sha256"
install -m 0755 "$binary" "$work/root/pause"
# Fixed owner and mtime: the same binary always gives the same image digest.
tar --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/root" -cf "$work/layer.tar" pause
diff_id="sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
layer="$(blob "$work/layer.tar" application/vnd.oci.image.layer.v1.tar)"
printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
    "$diff_id" >"$work/config.json"
config="$(blob "$work/config.json" application/vnd.oci.image.config.v1+json)"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s]}' \
    "$config" "$layer" >"$work/manifest.json"
manifest="$(blob "$work/manifest.json" application/vnd.oci.image.manifest.v1+json)"
printf '{"schemaVersion":2,"manifests":[%s]}' \
    "${manifest%\}},\"annotations\":{\"io.containerd.image.name\":\"$ref\",\"org.opencontainers.image.ref.name\":\"$ref\"}}" \
    >"$work/layout/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/layout/oci-layout"
tar --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/layout" -cf "$out" oci-layout index.json blobs
