"""The Kubernetes runtime backend (settings.RUNTIME_BACKEND = "kubernetes").

A tenant is a namespace (quota, limit range, default-deny network policy, pull secret),
a version is a Deployment, an instance is one of its pods, bound to an ordinal by a
label. Modules: names (deterministic names), resources (quantities), manifests (pure
builders from a Version), apply (idempotent writes with a spec hash), status (pods to
Observed and failure reasons), metrics (kubelet summary API), runtime (the Runtime).
"""
