"""What can go wrong in a call to a platform (:mod:`.http`) and in an authorisation."""

from __future__ import annotations

from privet.errors import PrivetError


class Refused(PrivetError):
    """A call the framework refused to make; ``reason`` is a short code."""

    code = "call_refused"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class PlatformError(PrivetError):
    """The platform answered with an error (TikTok: HTTP 200 with a non-zero ``code``). The
    platform's message is not kept: it is not ours to log and may quote what was sent."""

    code = "platform_error"

    def __init__(self, platform_code: int | None, status: int | None = None) -> None:
        super().__init__(f"The platform refused the call (code {platform_code}, HTTP {status}).")
        self.platform_code = platform_code
        self.status = status


class RateLimited(PlatformError):
    """Too many requests: retried with backoff."""


class Transient(PlatformError):
    """A temporary failure on the platform's side (5xx, timeouts): retried with backoff."""


class TokenExpired(PlatformError):
    """The access token has expired: refreshed once, then the call is made again."""


class TokenRefused(PlatformError):
    """The token is invalid or empty: the owner revoked it on the platform."""


class RefreshExpired(PlatformError):
    """The refresh token has expired too: the owner must authorise again."""


class ScopeRefused(PlatformError):
    """The platform says the grant lacks the scope (it changed on the platform's side)."""


class WebhookRefused(PrivetError):
    """A webhook delivery the framework refuses (:mod:`.webhooks`): ``reason`` is the stable
    code the answer and the security event carry, ``status`` the HTTP status (4xx)."""

    code = "webhook_refused"

    def __init__(self, reason: str, status: int, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status
