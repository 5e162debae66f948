"""Secret environment values, sealed at rest with Fernet (AES-128-CBC + HMAC-SHA256).

The key comes from the environment (SECRETS_KEY: a Fernet key, 32 url-safe base64
bytes); without one it is derived from SECRET_KEY, so a development platform works and
a production one keeps secrets readable only with its own key. Sealed values are what
the database, the API and the console ever hold; only the runtime spec unseals them,
right before handing them to the engine.
"""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MASK = "set"  # what the API and the console show instead of a secret value


def _fernet() -> Fernet:
    key = settings.SECRETS_KEY
    if not key:  # derived, so it changes when SECRET_KEY does (documented in README)
        digest = hashlib.sha256(b"hosting-secrets:" + settings.SECRET_KEY.encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    try:
        return Fernet(key)
    except ValueError as exc:
        raise ImproperlyConfigured("SECRETS_KEY must be a Fernet key: 32 url-safe base64 "
                                   "bytes (Fernet.generate_key()).") from exc


def seal(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def unseal(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured("A secret could not be decrypted: SECRETS_KEY (or "
                                   "SECRET_KEY) changed since it was stored.") from exc


def masked(pairs) -> dict[str, str]:
    """Names of the secrets with their values hidden: what readers see."""
    return {name: MASK for name, _token in pairs}
