"""Errors from the ecomdash API, classified by what the caller can do about them."""

from typing import Any

import httpx


class EcomdashError(Exception):
    """Base class; carries the request and, when there was one, the response."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status_code: int | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.status_code = status_code
        self.response = response

    def __str__(self) -> str:
        where = f"{self.method} {self.path}: " if self.method else ""
        status = f" (HTTP {self.status_code})" if self.status_code else ""
        return f"{where}{self.message}{status}"


class AuthenticationError(EcomdashError):
    """403 from ecomdash (ecd key / application-id) or 401 from the APIM gateway (portal key)."""


class BadRequestError(EcomdashError):
    """400/404, or HTTP 200 whose envelope says ``Failure``: retrying will not help."""

    def __init__(self, message: str, *, messages: list[str] | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.messages = messages or []


class RateLimitError(EcomdashError):
    """429 from the gateway; ``retry_after`` seconds, from the header or the message."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(EcomdashError):
    """5xx: something went wrong on ecomdash's side."""


class TransportError(EcomdashError):
    """No usable response: timeout, reset connection, or a body that is not JSON."""
