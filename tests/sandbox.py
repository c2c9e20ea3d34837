"""Helpers for tests that talk to the ecomdash sandbox in-process."""

from feed.ecomdash.client import EcomdashClient
from feed.ecomdash.retry import AccountLimiter
from feed.ecomdash.sandbox.app import SandboxTransport
from feed.ecomdash.sandbox.seed import DEMO_ECD_KEY, DEMO_PORTAL_KEY

SANDBOX_URL = "http://sandbox.test/api"


def unlimited() -> AccountLimiter:
    return AccountLimiter(calls_per_minute=1e9, burst=1e9, concurrency=100)


def sandbox_client(app, **overrides) -> EcomdashClient:
    options = {
        "base_url": SANDBOX_URL,
        "ecd_subscription_key": DEMO_ECD_KEY,
        "apim_subscription_key": DEMO_PORTAL_KEY,
        "limiter": unlimited(),
        "transport": SandboxTransport(app=app),
    } | overrides
    return EcomdashClient(**options)
