"""Failure injection and Discord-like rate limits.

How discord.py treats these answers (``http.py`` ``HTTPClient.request``, ``webhook/async_.py``
``AsyncWebhookAdapter.request``):

- A 429 is retried only if the answer has a ``Via`` header *and* a JSON body (otherwise it is taken
  for a Cloudflare ban and raised as ``HTTPException``); the client then sleeps
  ``body["retry_after"]`` seconds, and ``body["global"]`` blocks every route meanwhile.
- 500, 502, 504 and 524 are retried after ``1 + 2 * attempt`` seconds (slow: avoid in fast tests).
- 403 raises ``Forbidden``, 404 ``NotFound``, other codes ``HTTPException``; the JSON ``code`` and
  ``message`` become ``exc.code`` / ``exc.text``.
- ``X-RateLimit-Remaining``/``-Limit``/``-Reset-After``/``-Bucket`` make the client wait *before*
  sending the next request to an exhausted bucket (keyed by route and major parameter: channel,
  guild or webhook). The webhook adapter only honours ``Remaining == "0"``.
"""

from __future__ import annotations

import fnmatch
import re
import time
from dataclasses import dataclass, field
from typing import Any

DEFAULT_MESSAGES = {
    400: (50035, "Invalid Form Body"),
    401: (0, "401: Unauthorized"),
    403: (50013, "Missing Permissions"),
    404: (10003, "Unknown Channel"),
    500: (0, "500: Internal Server Error"),
    502: (0, "502: Bad Gateway"),
}
MAJOR_RE = re.compile(r"^/(channels|guilds)/(\d+)|^/(webhooks|interactions)/(\d+)/([^/]+)")


def path_matches(pattern: str | re.Pattern[str], path: str, route: str) -> bool:
    """A glob (``*`` matches anything, "/" included) over the concrete path or the route template,
    or a compiled regular expression searched in the concrete path."""
    if isinstance(pattern, re.Pattern):
        return pattern.search(path) is not None
    return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(route, pattern)


def major_parameter(path: str) -> str:
    """The part of a path that splits a rate limit into buckets (as discord.py's
    ``Route.major_parameters``): a channel or guild id, or a webhook id and token."""
    match = MAJOR_RE.match(path)
    if not match:
        return ""
    if match.group(2):
        return match.group(2)
    return f"{match.group(4)}+{match.group(5)}"


@dataclass
class Injection:
    """A pending injected failure; ``served`` holds the loop times it was answered."""

    method: str
    pattern: str | re.Pattern[str]
    status: int
    times: int
    retry_after: float
    global_: bool
    code: int | None
    message: str | None
    via: bool
    served: list[float] = field(default_factory=list)

    @property
    def exhausted(self) -> bool:
        return len(self.served) >= self.times

    def matches(self, method: str, path: str, route: str) -> bool:
        if self.exhausted:
            return False
        return self.method in ("*", method) and path_matches(self.pattern, path, route)

    def answer(self) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self.status == 429:
            body: dict[str, Any] = {
                "message": self.message or "You are being rate limited.",
                "retry_after": self.retry_after,
                "global": self.global_,
                "code": self.code or 0,
            }
            headers = {
                "Retry-After": str(max(1, round(self.retry_after))),
                "X-RateLimit-Scope": "global" if self.global_ else "user",
            }
            if self.global_:
                headers["X-RateLimit-Global"] = "true"
            if self.via:
                headers["Via"] = "1.1 google"
            return 429, body, headers
        code, message = DEFAULT_MESSAGES.get(self.status, (0, f"{self.status}: Error"))
        return self.status, {"code": self.code or code, "message": self.message or message}, {}


@dataclass
class RateLimitRule:
    """``limit`` requests per ``per`` seconds for each major parameter (fixed windows), or for
    all matching requests together when ``global_`` (Discord's 50 requests a second per bot)."""

    method: str
    pattern: str | re.Pattern[str]
    limit: int
    per: float
    bucket: str
    global_: bool = False
    windows: dict[str, tuple[float, int]] = field(default_factory=dict)  # major -> (start, count)
    limited: list[float] = field(default_factory=list)  # loop times a 429 was answered

    def matches(self, method: str, path: str, route: str) -> bool:
        return self.method in ("*", method) and path_matches(self.pattern, path, route)

    def check(self, path: str, now: float) -> tuple[bool, float]:
        """Would one more request be allowed now: (allowed, seconds until the window resets)."""
        start, count = self._window(path, now)
        return count < self.limit, max(0.0, self.per - (now - start))

    def _window(self, path: str, now: float) -> tuple[float, int]:
        key = "global" if self.global_ else major_parameter(path)
        start, count = self.windows.get(key, (now, 0))
        if now - start >= self.per:
            start, count = now, 0
        return start, count

    def take(self, path: str, now: float) -> tuple[bool, dict[str, str], float]:
        """Count one request: (allowed, headers, seconds until the window resets)."""
        key = "global" if self.global_ else major_parameter(path)
        start, count = self._window(path, now)
        reset_after = max(0.0, self.per - (now - start))
        allowed = count < self.limit
        if allowed:
            count += 1
        self.windows[key] = (start, count)
        if self.global_:
            return allowed, {"X-RateLimit-Global": "true"}, reset_after
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.limit - count),
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Bucket": self.bucket,
        }
        return allowed, headers, reset_after


class Faults:
    """The injected failures and rate-limit rules of one fake Discord."""

    def __init__(self) -> None:
        self.injections: list[Injection] = []
        self.rules: list[RateLimitRule] = []

    def inject(self, injection: Injection) -> Injection:
        self.injections.append(injection)
        return injection

    def take_injection(self, method: str, path: str, route: str, now: float) -> Injection | None:
        for injection in self.injections:
            if injection.matches(method, path, route):
                injection.served.append(now)
                return injection
        return None

    def rate_limits(self, method: str, path: str, route: str) -> list[RateLimitRule]:
        return [rule for rule in self.rules if rule.matches(method, path, route)]
