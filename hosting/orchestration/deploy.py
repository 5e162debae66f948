"""The deploy pipeline (filled in by the runtime work)."""


def deploy(version_id: int) -> None:
    raise NotImplementedError


def remove(version_id: int) -> None:
    raise NotImplementedError
