"""The API's throttles: the write throttle and the token endpoint's guess limiter."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

logger = logging.getLogger(__name__)


class _LiveRateThrottle(ScopedRateThrottle):
    """A throttle of one fixed scope whose rate is read per request, so that a change of
    settings (tests, reconfiguration) takes effect without a restart."""

    throttle_scope = ""

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = self.throttle_scope
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super(ScopedRateThrottle, self).allow_request(request, view)
        except RedisError:
            # The counters live in the shared cache (Redis in production). While it is unreachable the
            # API keeps working unthrottled rather than failing every request; the sign-in lockout,
            # kept in the database, still stops password guessing.
            logger.exception("throttle %r: the cache is unreachable, the request is not counted", self.scope)
            return True

    def get_rate(self) -> str | None:
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        return rates.get(self.throttle_scope)


class WritesThrottle(_LiveRateThrottle):
    """The ``writes`` scope, per user, on unsafe methods only."""

    throttle_scope = "writes"

    def allow_request(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or super().allow_request(request, view)


class TokenThrottle(_LiveRateThrottle):
    """The ``token`` scope: guesses at passwords through the token endpoint, per client address."""

    throttle_scope = "token"
