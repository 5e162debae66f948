"""Talking to the platform's registry: tags of a repository, a tag's digest, and the
credential the container engine pulls with.

The client signs its own tokens (tokens.mint) instead of asking the token endpoint:
the web app may not be running where a worker runs, and it is the same key anyway.
"""
import hashlib

import requests
from django.conf import settings

from hosting.registry import tokens

PLATFORM_SUBJECT = "hosting-platform"
TIMEOUT = (3.05, 15)  # connect, read (seconds)
PAGE_SIZE = 1000
# Podman pushes OCI manifests by default and the registry answers 404 to a request that
# does not accept them; without the Docker v2 types an old Docker push would be
# converted to schema 1 under another digest. Ask for every current type.
MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])


class RegistryError(Exception):
    """A registry problem, with a message meant for the user."""


class TagNotFound(RegistryError):
    def __init__(self, repository: str, tag: str):
        self.repository, self.tag = repository, tag
        super().__init__(f"The tag {tag} does not exist in {repository}; "
                         "push it first (see the upload guide).")


class RegistryDenied(RegistryError):
    def __init__(self, repository: str, detail: str = ""):
        self.repository = repository
        super().__init__(f"The image registry refused access to {repository}"
                         f"{': ' + detail if detail else ''}. Check that the repository "
                         "belongs to this tenant.")


class RegistryUnavailable(RegistryError):
    def __init__(self, detail: str = ""):
        super().__init__(f"The image registry at {settings.REGISTRY_HOST} is not reachable"
                         f"{' (' + detail + ')' if detail else ''}; try again in a moment.")


def list_tags(repository: str) -> list[str]:
    """The repository's tags, sorted; [] when nothing was pushed to it yet."""
    url = f"{settings.REGISTRY_URL}/v2/{repository}/tags/list?n={PAGE_SIZE}"
    tags: list[str] = []
    while url:
        response = _request("GET", url, repository)
        if response.status_code == 404:
            return []  # NAME_UNKNOWN: the repository does not exist yet
        _raise_for(response, repository)
        tags.extend(response.json().get("tags") or [])
        url = _next_page(response)
    return sorted(set(tags))


def resolve_digest(repository: str, tag: str) -> str:
    """The digest the tag points at now ("sha256:…"). Pulling `repo@digest` later gets
    exactly this image even if the tag is pushed again."""
    url = f"{settings.REGISTRY_URL}/v2/{repository}/manifests/{tag}"
    headers = {"Accept": MANIFEST_TYPES}
    response = _request("HEAD", url, repository, headers)
    if response.status_code == 404:
        raise TagNotFound(repository, tag)
    _raise_for(response, repository)
    digest = response.headers.get("Docker-Content-Digest", "")
    if digest.startswith("sha256:"):
        return digest
    response = _request("GET", url, repository, headers)  # no header: hash the body
    _raise_for(response, repository)
    return "sha256:" + hashlib.sha256(response.content).hexdigest()


def pull_auth(repository: str) -> dict:
    """`auth_config` for the docker SDK's `images.pull`: lets the engine pull this one
    repository, for a few minutes, through the token endpoint."""
    return {"username": tokens.INTERNAL_PULL_USER,
            "password": tokens.pull_credential(repository),
            "serveraddress": settings.REGISTRY_HOST}


def _request(method: str, url: str, repository: str,
             headers: dict | None = None) -> requests.Response:
    token = tokens.mint(PLATFORM_SUBJECT, [
        {"type": "repository", "name": repository, "actions": ["pull"]}])
    headers = {**(headers or {}), "Authorization": f"Bearer {token}"}
    try:
        return requests.request(method, url, headers=headers, timeout=TIMEOUT,
                                allow_redirects=False)
    except requests.RequestException as exc:
        raise RegistryUnavailable(type(exc).__name__) from exc


def _raise_for(response: requests.Response, repository: str) -> None:
    if response.status_code in (401, 403):
        raise RegistryDenied(repository, _error_message(response))
    if response.status_code >= 400:
        raise RegistryUnavailable(f"HTTP {response.status_code} "
                                  f"{_error_message(response)}".strip())


def _error_message(response: requests.Response) -> str:
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return ""
    return "; ".join(str(e.get("message", "")) for e in errors if e.get("message"))


def _next_page(response: requests.Response) -> str:
    """The registry paginates with a `Link: </v2/...>; rel="next"` header."""
    link = response.links.get("next", {}).get("url", "")
    if not link:
        return ""
    return link if link.startswith("http") else f"{settings.REGISTRY_URL}{link}"
