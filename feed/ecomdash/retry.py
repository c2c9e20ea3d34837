"""Retry policy and the client-side rate limiter, in one place.

ecomdash (behind Azure API Management) allows 120 calls per minute per merchant account,
shared by every app using it, and 3 concurrent calls per (account, operation). The limiter
keeps us under both; the retry policy handles what still bounces.
"""

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx

from feed.ecomdash.errors import RateLimitError, ServerError, TransportError

MAX_ATTEMPTS = 5
RETRY_TIMEOUT = 120.0  # seconds across all attempts of one call
WAIT_INITIAL = 0.5
WAIT_MAX = 30.0
MAX_RETRY_AFTER = 60.0
# Our share of the account's 120 calls/minute, and the burst the bucket allows. In any
# 60-second window we make at most BURST + CALLS_PER_MINUTE calls.
CALLS_PER_MINUTE = 110
BURST = 5
CONCURRENCY_PER_OPERATION = 2

_TRY_AGAIN = re.compile(r"try again in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)


def parse_retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait: the Retry-After header, else APIM's "Try again in N seconds"."""
    header = response.headers.get("retry-after")
    if header:
        try:
            return min(max(float(header), 0.0), MAX_RETRY_AFTER)
        except ValueError:
            pass
    m = _TRY_AGAIN.search(response.text)
    return min(float(m.group(1)), MAX_RETRY_AFTER) if m else None


def backoff_hook(idempotent: bool) -> Callable[[Exception], bool | float]:
    """The stamina ``on=`` predicate: False = give up, True = backoff, float = wait this long."""

    def should_retry(exc: Exception) -> bool | float:
        if isinstance(exc, RateLimitError):
            # Throttled at the gateway before ecomdash saw the request: always safe to resend.
            return exc.retry_after if exc.retry_after is not None else True
        if isinstance(exc, ServerError):
            return idempotent
        if isinstance(exc, TransportError):
            # A refused connection never reached ecomdash; anything else might have.
            return idempotent or isinstance(exc.__cause__, httpx.ConnectError)
        # Authentication, bad request, failures in the envelope: resending changes nothing.
        return False

    return should_retry


class TokenBucket:
    """``rate`` tokens a second up to ``capacity``; ``acquire`` waits for one."""

    def __init__(
        self,
        rate: float,
        capacity: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = asyncio.Lock()
        self.waited = 0.0

    async def acquire(self) -> None:
        async with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                return
            wait = (1 - self._tokens) / self.rate
            self.waited += wait
            await self._sleep(wait)
            # The token that accrued while we slept is this call's; time past that counts
            # towards the next one.
            self._tokens = 0.0
            self._updated = now + wait


class AccountLimiter:
    """One per ecomdash account: a shared call budget plus a semaphore per operation."""

    def __init__(
        self,
        calls_per_minute: float = CALLS_PER_MINUTE,
        burst: float = BURST,
        concurrency: int = CONCURRENCY_PER_OPERATION,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.bucket = TokenBucket(calls_per_minute / 60.0, burst, clock=clock, sleep=sleep)
        self._concurrency = concurrency
        self._semaphores: dict[str, asyncio.Semaphore] = {}

    @asynccontextmanager
    async def slot(self, operation: str) -> AsyncIterator[None]:
        semaphore = self._semaphores.setdefault(operation, asyncio.Semaphore(self._concurrency))
        async with semaphore:
            await self.bucket.acquire()
            yield
