"""Throttling of failed logins (console, admin, registry token endpoint) and of API-key
creation, counted in the shared cache so every web worker sees one count.

After LOGIN_FAILURES_MAX failures for one account, or from one address, within
LOGIN_LOCKOUT_SECONDS, that account or address may not log in until the window passes
(each failure restarts it). A success clears the account's count. Counting per account
stops password guessing spread over many addresses; per address, spraying one password
over many accounts. If the cache cannot be reached, logins are let through (and logged):
refusing everyone while Redis restarts would be worse.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


def _cache():
    """The LOGIN_THROTTLE_CACHE alias (tests give it a private memory cache), else the
    shared default cache."""
    alias = settings.LOGIN_THROTTLE_CACHE
    return caches[alias if alias in settings.CACHES else "default"]


def address_of(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "") if request is not None else ""


def _keys(username: str, address: str) -> list[str]:
    keys = [f"login-fail:user:{username.lower()}"] if username else []
    return keys + ([f"login-fail:addr:{address}"] if address else [])


def locked(username: str, address: str = "") -> bool:
    store = _cache()
    try:
        counts = store.get_many(_keys(username, address)).values()
    except Exception as exc:  # the cache backend's connection errors vary by client
        log.warning("login throttling skipped: the cache is unreachable (%s)", exc)
        return False
    return any(count >= settings.LOGIN_FAILURES_MAX for count in counts)


def failed(username: str, address: str = "") -> None:
    store = _cache()
    try:
        for key in _keys(username, address):
            store.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
            store.incr(key)
            store.touch(key, settings.LOGIN_LOCKOUT_SECONDS)
    except Exception as exc:
        log.warning("login throttling skipped: the cache is unreachable (%s)", exc)


def succeeded(username: str) -> None:
    store = _cache()
    try:
        store.delete_many(_keys(username, ""))
    except Exception as exc:
        log.warning("login throttling skipped: the cache is unreachable (%s)", exc)


def locked_message() -> str:
    return _("Too many failed logins for this account or from this address (at most "
             "%(max)d in %(minutes)d minutes); try again later.") % {
        "max": settings.LOGIN_FAILURES_MAX, "minutes": settings.LOGIN_LOCKOUT_SECONDS // 60}


class ThrottledModelBackend(ModelBackend):
    """Django's password check, refused outright while the account or address is locked."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        username = username or kwargs.get("username") or ""
        address = address_of(request)
        if locked(username, address):
            raise PermissionDenied(locked_message())  # authenticate() stops at this backend
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            failed(username, address)
        else:
            succeeded(username)
        return user


class TooManyTokens(ValidationError):
    """The user made API keys too fast (the API answers 429)."""


def check_token_rate(user) -> None:
    """At most TOKEN_CREATES_PER_HOUR new API keys per user per hour."""
    key, limit = f"token-creates:{user.pk}", settings.TOKEN_CREATES_PER_HOUR
    store = _cache()
    try:
        store.add(key, 0, timeout=3600)
        count = store.incr(key)
    except Exception as exc:
        log.warning("token throttling skipped: the cache is unreachable (%s)", exc)
        return
    if count > limit:
        raise TooManyTokens(_("Too many API tokens created: at most %(max)d per hour; try "
                              "again later or revoke and reuse one.") % {"max": limit},
                            code="throttled")
