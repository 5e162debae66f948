def reconcile_all() -> None:
    raise NotImplementedError
