"""One client per channel and one rate limiter per ecomdash account, for the app's lifetime.

Two channels on the same merchant account share its limiter: ecomdash's 120 calls/minute is
per account, not per integration.
"""

import hashlib

import httpx

from feed.ecomdash.client import CallObserver, EcomdashClient
from feed.ecomdash.retry import BURST, CALLS_PER_MINUTE, CONCURRENCY_PER_OPERATION, AccountLimiter


class ClientRegistry:
    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        calls_per_minute: float = CALLS_PER_MINUTE,
        burst: float = BURST,
        concurrency: int = CONCURRENCY_PER_OPERATION,
        observer: CallObserver | None = None,
    ) -> None:
        self._transport = transport
        self._observer = observer
        self._limits = (calls_per_minute, burst, concurrency)
        self._limiters: dict[str, AccountLimiter] = {}
        self._clients: dict[int, tuple[tuple[str, ...], EcomdashClient]] = {}

    def limiter(self, ecd_subscription_key: str) -> AccountLimiter:
        account = hashlib.sha256(ecd_subscription_key.encode()).hexdigest()
        if account not in self._limiters:
            self._limiters[account] = AccountLimiter(*self._limits)
        return self._limiters[account]

    async def client(
        self,
        channel_id: int,
        *,
        base_url: str,
        ecd_subscription_key: str,
        apim_subscription_key: str | None,
        application_id: str | None,
    ) -> EcomdashClient:
        """The channel's client; rebuilt when its connection settings changed."""
        key = (base_url, ecd_subscription_key, apim_subscription_key or "", application_id or "")
        cached = self._clients.get(channel_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        if cached is not None:
            await cached[1].aclose()
        client = EcomdashClient(
            base_url=base_url,
            ecd_subscription_key=ecd_subscription_key,
            apim_subscription_key=apim_subscription_key,
            application_id=application_id,
            limiter=self.limiter(ecd_subscription_key),
            transport=self._transport,
            observer=self._observer,
        )
        self._clients[channel_id] = (key, client)
        return client

    def throttle_wait_seconds(self) -> float:
        """Seconds spent waiting for the rate limiter, all accounts together."""
        return sum(limiter.bucket.waited for limiter in self._limiters.values())

    async def aclose(self) -> None:
        for _, client in self._clients.values():
            await client.aclose()
        self._clients.clear()
