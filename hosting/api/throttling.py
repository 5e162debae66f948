"""Per-user request budgets, counted in the shared cache (Redis), so every web worker
draws from one budget. Rates come from settings at request time (API_THROTTLE_USER,
API_THROTTLE_ANON in the environment), which also lets tests change them.

If the cache cannot be reached the request is let through (and logged): losing the
budget for a moment is better than refusing every API call while Redis restarts.
"""
import logging

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

log = logging.getLogger(__name__)


class _SharedBudget:
    def get_rate(self) -> str | None:
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope)

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # the cache backend's connection errors vary by client
            log.warning("API throttling skipped: the cache is unreachable (%s)", exc)
            return True


class UserThrottle(_SharedBudget, UserRateThrottle):
    pass


class AnonThrottle(_SharedBudget, AnonRateThrottle):
    pass
