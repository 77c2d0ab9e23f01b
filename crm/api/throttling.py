"""The API's throttles (DRF's own), with rates read when they are used (so settings can change them)
and one scope per company for the calls that spend the company's Pic-Time rate limit."""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class RatesFromSettings:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(RatesFromSettings, AnonRateThrottle):
    """Callers without valid credentials, per address."""


class UserThrottle(RatesFromSettings, UserRateThrottle):
    """Signed-in callers, per user."""


class CompanyPicTimeThrottle(RatesFromSettings, SimpleRateThrottle):
    """Views that call Pic-Time: per company, whichever member calls (request.company is set by the
    permission check, which DRF runs before the throttles)."""

    scope = "pictime"

    def get_cache_key(self, request, view):
        company = getattr(request, "company", None)
        if company is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": company.pk}


class BadTokenThrottle(RatesFromSettings, SimpleRateThrottle):
    """Wrong API tokens, per address: counted only when a token is refused; once over the rate, every
    token from that address is refused with 429 until the window has passed (no guessing at speed).

    DRF checks throttles after authentication, which a wrong token never gets past: the
    authentication class calls this one itself."""

    scope = "bad_token"

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _load(self, request):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request)
        self.now = self.timer()
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]

    def blocked(self, request) -> bool:
        self._load(request)
        return len(self.history) >= self.num_requests

    def record_failure(self, request) -> None:
        self._load(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)
