"""Scopes asked of the token endpoint and what each caller is granted.

A scope is `type[(class)]:name:actions`, e.g. `repository:alpha/web:pull,push`. Several
may arrive in one request (podman asks for a second repository when it tries a
cross-repository blob mount); each is granted on its own and narrowed to what the caller
may do, never failing the whole request.
"""
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PULL, PUSH = "pull", "push"
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "owner": frozenset({PULL, PUSH}),
    "developer": frozenset({PULL, PUSH}),
    "viewer": frozenset({PULL}),
}
# Distribution's repository name grammar (lowercase path components).
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
REPOSITORY_NAME = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})+")


@dataclass(frozen=True)
class Scope:
    type: str
    name: str
    actions: frozenset[str]
    resource_class: str = ""

    @property
    def tenant(self) -> str:
        """The first path component: the tenant that owns a repository."""
        return self.name.split("/", 1)[0]


def parse_scope(text: str) -> Scope | None:
    """`repository:alpha/web:pull,push` -> Scope; None for text that is not a scope."""
    kind, sep, rest = text.partition(":")
    name, sep2, actions = rest.rpartition(":")
    if not (sep and sep2 and kind and name):
        return None
    kind, resource_class = _split_class(kind)
    wanted = frozenset(a for a in actions.split(",") if a)
    return Scope(kind, name, wanted, resource_class)


def parse_scopes(values: Iterable[str]) -> list[Scope]:
    """Every scope of every `scope` parameter (OAuth2 posts separate them by spaces)."""
    scopes = (parse_scope(part) for value in values for part in value.split())
    return [scope for scope in scopes if scope is not None]


def grant(scopes: Iterable[Scope], roles: Mapping[str, str],
          pull_repository: str | None = None,
          pull_only: frozenset[str] = frozenset()) -> list[dict]:
    """The token's `access` list.

    `roles` maps tenant slug -> the caller's role there: owners and developers may pull
    and push `<tenant>/…`, viewers only pull. `pull_only` names tenants suspended for
    arrears: everyone may still pull their images (nothing is held hostage) but nobody
    pushes, since nothing can be deployed until a recharge. `pull_repository` is the
    platform's internal pull credential: pull on that one repository and nothing else.
    Anything not granted is left out, so an anonymous or foreign caller gets `[]`.
    """
    merged: dict[tuple[str, str], set[str]] = {}
    for scope in scopes:
        allowed = _allowed(scope, roles, pull_repository)
        if scope.tenant in pull_only:
            allowed &= {PULL}
        actions = scope.actions & allowed
        if actions:
            merged.setdefault((scope.type, scope.name), set()).update(actions)
    return [{"type": kind, "name": name, "actions": sorted(actions)}
            for (kind, name), actions in merged.items()]


def _allowed(scope: Scope, roles: Mapping[str, str], pull_repository: str | None) -> frozenset:
    if scope.type != "repository" or not REPOSITORY_NAME.fullmatch(scope.name):
        return frozenset()
    if pull_repository is not None:
        return frozenset({PULL}) if scope.name == pull_repository else frozenset()
    return ROLE_ACTIONS.get(roles.get(scope.tenant, ""), frozenset())


def _split_class(kind: str) -> tuple[str, str]:
    """`repository(plugin)` -> ("repository", "plugin")."""
    match = re.fullmatch(r"([a-z0-9]+)\(([a-z0-9]+)\)", kind)
    return (match.group(1), match.group(2)) if match else (kind, "")
