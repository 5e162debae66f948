#!/bin/sh
# Write base/secrets.env with generated secrets (once; kept if it exists), for
# `kubectl apply -k docker/kubernetes/single-node` (or your overlay of base/).
set -eu
out="$(cd "$(dirname "$0")" && pwd)/base/secrets.env"
# The single-node overlay's host directories, owned by the image's user (uid 10001):
# hostPath volumes get no fsGroup. Best effort (root on the node).
for dir in var postgres registry; do
    install -d -m 0750 -o 10001 -g 10001 "/var/lib/hosting-cluster-data/$dir" 2>/dev/null || true
done
if [ -e "$out" ]; then echo "$out"; exit 0; fi
secret() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
pg="$(secret 24)" redis="$(secret 24)"
umask 077
cat >"$out" <<ENV
SECRET_KEY=$(secret 40)
POSTGRES_PASSWORD=$pg
DATABASE_URL=postgres://hosting:$pg@postgres:5432/hosting
REDIS_PASSWORD=$redis
REDIS_URL=redis://:$redis@redis:6379/0
ENV
echo "$out"
