"""Scope parsing and grants, table-driven (no database, no server)."""
import pytest

from hosting.registry.scopes import Scope, grant, parse_scope, parse_scopes

ALICE = {"alpha": "owner"}
DEV = {"alpha": "developer"}
CHARLIE = {"alpha": "viewer"}


@pytest.mark.parametrize("text, expected", [
    ("repository:alpha/web:pull,push",
     Scope("repository", "alpha/web", frozenset({"pull", "push"}))),
    ("repository:alpha/web:pull", Scope("repository", "alpha/web", frozenset({"pull"}))),
    ("repository:alpha/a/b:push", Scope("repository", "alpha/a/b", frozenset({"push"}))),
    ("repository:alpha/web:", Scope("repository", "alpha/web", frozenset())),
    ("registry:catalog:*", Scope("registry", "catalog", frozenset({"*"}))),
    ("repository(plugin):alpha/p:pull",
     Scope("repository", "alpha/p", frozenset({"pull"}), "plugin")),
    ("", None),
    ("repository", None),
    ("repository:alpha/web", None),
    (":alpha/web:pull", None),
])
def test_it_parses_scopes(text, expected):
    assert parse_scope(text) == expected


def test_it_reads_every_scope_parameter_and_space_separated_scopes():
    scopes = parse_scopes(["repository:alpha/a:pull,push",
                           "repository:alpha/b:pull repository:bravo/c:pull", "junk"])
    assert [s.name for s in scopes] == ["alpha/a", "alpha/b", "bravo/c"]


def _repo(name: str, actions: str) -> Scope:
    return parse_scope(f"repository:{name}:{actions}")


@pytest.mark.parametrize("who, roles, scope, expected", [
    ("owner pushes own tenant", ALICE, "alpha/web:pull,push", ["pull", "push"]),
    ("developer pushes own tenant", DEV, "alpha/web:pull,push", ["pull", "push"]),
    ("viewer gets pull only", CHARLIE, "alpha/web:pull,push", ["pull"]),
    ("viewer pulls", CHARLIE, "alpha/web:pull", ["pull"]),
    ("owner of alpha, bravo's repository", ALICE, "bravo/web:pull,push", []),
    ("anonymous", {}, "alpha/web:pull", []),
    ("nested repository of own tenant", ALICE, "alpha/team/web:push", ["push"]),
    ("the tenant name alone is no repository", ALICE, "alpha:pull", []),
    ("tenant prefix is a whole component", ALICE, "alphabet/web:pull", []),
    ("delete is never granted to users", ALICE, "alpha/web:delete", []),
    ("wildcard is never granted to users", ALICE, "alpha/web:*", []),
    ("unknown actions are dropped", ALICE, "alpha/web:pull,frobnicate", ["pull"]),
    ("uppercase names are invalid", ALICE, "alpha/Web:pull", []),
    ("path tricks are invalid", ALICE, "alpha/../bravo/web:pull", []),
])
def test_grants_follow_the_tenant_role(who, roles, scope, expected):
    name, _, actions = scope.rpartition(":")
    access = grant([_repo(name, actions)], roles)
    assert [a["actions"] for a in access] == ([expected] if expected else []), who


def test_catalog_is_never_granted():
    assert grant([parse_scope("registry:catalog:*")], ALICE) == []


def test_each_scope_is_granted_on_its_own():
    """A cross-repository mount asks for two scopes; the foreign one is dropped."""
    access = grant([_repo("alpha/web", "pull,push"), _repo("bravo/web", "pull")], ALICE)
    assert access == [{"type": "repository", "name": "alpha/web", "actions": ["pull", "push"]}]


def test_repeated_scopes_merge():
    access = grant([_repo("alpha/web", "pull"), _repo("alpha/web", "push")], ALICE)
    assert access == [{"type": "repository", "name": "alpha/web", "actions": ["pull", "push"]}]


@pytest.mark.parametrize("scope, expected", [
    ("alpha/web:pull", ["pull"]),
    ("alpha/web:pull,push", ["pull"]),
    ("alpha/web:push", []),
    ("alpha/other:pull", []),
    ("bravo/web:pull", []),
])
def test_the_internal_pull_credential_pulls_one_repository(scope, expected):
    name, _, actions = scope.rpartition(":")
    access = grant([_repo(name, actions)], {"alpha": "owner"}, pull_repository="alpha/web")
    assert [a["actions"] for a in access] == ([expected] if expected else [])
