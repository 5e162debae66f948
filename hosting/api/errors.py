"""One exception handler: domain errors become the API's 400, 409 and 503 answers.

The domain raises Django's ValidationError (the console shows the same messages), so
the API turns `message_dict` into DRF's field-level 400. Errors that describe the
*state* of an object rather than the request (an 11th version, shares on a version that
is not normal, ...) are conflicts: 409 with `detail` and a `code`.
"""
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from hosting.domain.billing import TenantInArrears
from hosting.domain.catalog import HasVersions
from hosting.domain.quotas import QuotaExceeded
from hosting.domain.traffic import ShareOnUnhealthyVersion
from hosting.domain.versions import NotRedeployable, VersionHoldsTraffic, VersionLimitReached
from hosting.rollouts.actions import NotActive
from hosting.status import TransitionError

CONFLICTS = (VersionLimitReached, VersionHoldsTraffic, ShareOnUnhealthyVersion, NotRedeployable,
             TransitionError, HasVersions, TenantInArrears, NotActive, QuotaExceeded)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the object's current state."
    default_code = "conflict"


class ServiceUnavailable(exceptions.APIException):
    """A part of the platform the request needs (e.g. the registry) did not answer."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A platform component is unavailable; try again shortly."
    default_code = "unavailable"


def _messages(exc: Exception) -> list[str]:
    if isinstance(exc, DjangoValidationError):
        return [str(m) for m in exc.messages]
    return [str(exc)]


def _code(exc: Exception) -> str:
    code = getattr(exc, "code", None)
    if code:
        return code
    nested = getattr(exc, "error_list", None) or []
    return next((e.code for e in nested if getattr(e, "code", None)), "conflict")


def to_api_exception(exc: Exception) -> Exception:
    """Map a domain exception onto the DRF exception that carries its status."""
    if isinstance(exc, CONFLICTS):
        conflict = Conflict(detail=" ".join(_messages(exc)), code=_code(exc))
        if isinstance(exc, QuotaExceeded):  # which quota, its limit, what was asked
            conflict.extra = {"quota": exc.quota, "limit": exc.limit, "wanted": exc.wanted}
        return conflict
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(detail=exc.message_dict)
        return exceptions.ValidationError(detail={"non_field_errors": exc.messages})
    return exc


def exception_handler(exc: Exception, context: dict) -> Response | None:
    exc = to_api_exception(exc)
    response = drf_handler(exc, context)
    if response is not None and isinstance(exc, Conflict):
        response.data = {"detail": str(exc.detail), "code": exc.detail.code,
                         **getattr(exc, "extra", {})}
    return response
