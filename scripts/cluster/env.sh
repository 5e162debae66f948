#!/bin/bash
# Print the environment for using the cluster from a shell:
#   eval "$(scripts/cluster/env.sh)"; kubectl get nodes; ctr images ls
# (ctr reads CONTAINERD_ADDRESS and CONTAINERD_NAMESPACE). tests/servers/cluster.py
# reads these lines too.
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/cluster/common.sh
. "$here/common.sh"
echo "export KUBECONFIG=$KUBECONFIG_ADMIN"
echo "export CONTAINERD_ADDRESS=$CONTAINERD_SOCK"
echo "export CONTAINERD_NAMESPACE=k8s.io"
echo "export HOSTING_CLUSTER_BIN=$BIN_DIR"
echo "export PATH=$BIN_DIR:\$PATH"
