"""The reconcile loop (filled in by the runtime work)."""


def reconcile_all() -> None:
    raise NotImplementedError


def converge(version_id: int) -> None:
    raise NotImplementedError
