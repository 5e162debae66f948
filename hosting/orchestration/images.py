"""The registry side of a deploy: a tag's digest and the credential the engine pulls with.

Thin wrappers over hosting.registry.client, so unit tests replace two functions instead
of running a registry.
"""
from hosting.registry import client


class ImageProblem(Exception):
    """The registry said no; `reason` is not_found, denied or unavailable."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def resolve_digest(repository: str, tag: str) -> str:
    try:
        return client.resolve_digest(repository, tag)
    except client.TagNotFound as exc:
        raise ImageProblem(str(exc), "not_found") from exc
    except client.RegistryDenied as exc:
        raise ImageProblem(str(exc), "denied") from exc
    except client.RegistryError as exc:
        raise ImageProblem(str(exc), "unavailable") from exc


def pull_auth(repository: str) -> dict:
    return client.pull_auth(repository)
