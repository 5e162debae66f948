"""The registry token protocol (Distribution's token auth), issued by the web app.

The registry challenges clients with `Bearer realm=<our /registry/token/>,service,scope`;
clients come here with Basic auth and get a short-lived RS256 JWT whose `access` claim
lists what they may do. See docs/registry-notes.md for what podman and docker send.
"""
import base64
import binascii
import datetime as dt
import secrets
import time
from dataclasses import dataclass, field

import jwt
from django.conf import settings
from django.contrib.auth import authenticate
from django.core import signing
from django.utils import timezone

from hosting import logins
from hosting.models import ApiToken, Membership, Tenant
from hosting.registry import scopes as scope_rules
from hosting.registry.keys import signing_key

MIN_TTL, MAX_TTL = 60, 15 * 60
# The platform's own pull credential (see pull_credential): "$" is not allowed in
# Django user names, so no account can take this name.
INTERNAL_PULL_USER = "$hosting-pull"
PULL_SALT = "hosting.registry.pull"
PULL_MAX_AGE = MAX_TTL


class BadCredentials(Exception):
    """The caller sent credentials that match no account, token or pull credential."""


@dataclass(frozen=True)
class Principal:
    """Who asks for a token. Anonymous callers have no user name."""

    username: str = ""
    roles: dict[str, str] = field(default_factory=dict)
    pull_repository: str | None = None
    pull_only: frozenset[str] = frozenset()  # tenants in arrears: no push

    def grant(self, scopes: list[scope_rules.Scope]) -> list[dict]:
        return scope_rules.grant(scopes, self.roles, self.pull_repository, self.pull_only)


ANONYMOUS = Principal()


def ttl_seconds() -> int:
    """settings.REGISTRY_TOKEN_TTL_SECONDS within the protocol's 60 s - 15 min."""
    return max(MIN_TTL, min(MAX_TTL, int(settings.REGISTRY_TOKEN_TTL_SECONDS)))


def mint(subject: str, access: list[dict], *, issued_at: float | None = None,
         lifetime: int | None = None) -> str:
    """A signed token for the registry. Tests pass `issued_at` in the past for an
    expired one; everyone else takes the defaults."""
    now = int(time.time() if issued_at is None else issued_at)
    claims = {
        "iss": settings.REGISTRY_ISSUER,
        "sub": subject,
        "aud": settings.REGISTRY_SERVICE,
        "exp": now + (ttl_seconds() if lifetime is None else lifetime),
        "nbf": now - 10,  # tolerate small clock differences with the registry
        "iat": now,
        "jti": secrets.token_hex(16),
        "access": access,
    }
    key = signing_key()
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"x5c": key.x5c})


def token_response(principal: Principal, scopes: list[scope_rules.Scope]) -> dict:
    """The token endpoint's JSON answer (`token` per the spec, `access_token` for OAuth2
    clients)."""
    token = mint(principal.username, principal.grant(scopes))
    issued = timezone.now().astimezone(dt.UTC).replace(microsecond=0)
    return {"token": token, "access_token": token, "expires_in": ttl_seconds(),
            "issued_at": issued.isoformat().replace("+00:00", "Z")}


def pull_credential(repository: str) -> str:
    """A short-lived signed password that lets the platform pull one repository."""
    return signing.dumps({"repository": repository, "actions": ["pull"]}, salt=PULL_SALT)


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(username, password) from an `Authorization: Basic` header; None when absent.
    A malformed header counts as bad credentials, not as anonymous."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, sep, password = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise BadCredentials("The Authorization header is not valid Basic auth.") from exc
    if not sep or not username:
        raise BadCredentials("Send a user name and a password.")
    return username, password


def principal_for(username: str, password: str) -> Principal:
    """The caller behind these credentials: the internal pull credential, an account
    password, or an API token used as the password (CI pipelines)."""
    if username == INTERNAL_PULL_USER:
        return _internal_principal(password)
    if logins.locked(username):
        raise BadCredentials(logins.locked_message())
    # An API token first: tried as a password it would count as a failed login, and a
    # CI pipeline pushing with its token would lock the account out of the console.
    user = _token_user(username, password) or authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise BadCredentials("bad credentials: check the user name and the password "
                             "(your console password or an API token)")
    return Principal(user.username, _roles(user), pull_only=_in_arrears(user))


def _internal_principal(password: str) -> Principal:
    try:
        data = signing.loads(password, salt=PULL_SALT, max_age=PULL_MAX_AGE)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise BadCredentials("bad credentials: the platform pull credential is invalid "
                             "or expired") from exc
    return Principal(INTERNAL_PULL_USER, {}, pull_repository=data["repository"])


def _token_user(username: str, key: str):
    token = ApiToken.objects.authenticate(key)
    if token is None or token.user.username != username:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used=timezone.now())
    return token.user


def _roles(user) -> dict[str, str]:
    rows = Membership.objects.filter(user=user).values_list("tenant__slug", "role")
    return dict(rows)


def _in_arrears(user) -> frozenset[str]:
    rows = Membership.objects.filter(user=user, tenant__billing_status=Tenant.Billing.ARREARS)
    return frozenset(rows.values_list("tenant__slug", flat=True))
