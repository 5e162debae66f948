"""Per-user request budgets, counted in the shared cache (Redis), so every web worker
draws from one budget. Rates come from settings at request time (API_THROTTLE_USER,
API_THROTTLE_ANON in the environment), which also lets tests change them."""
from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _SettingsRate:
    def get_rate(self) -> str | None:
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope)


class UserThrottle(_SettingsRate, UserRateThrottle):
    pass


class AnonThrottle(_SettingsRate, AnonRateThrottle):
    pass
