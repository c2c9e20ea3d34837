from collections.abc import AsyncIterator

import pytest
import stamina

from feed.ecomdash.client import EcomdashClient
from feed.ecomdash.retry import AccountLimiter
from feed.ecomdash.sandbox.app import SandboxTransport, create_sandbox_app
from feed.ecomdash.sandbox.seed import DEMO_ECD_KEY, DEMO_PORTAL_KEY, load_demo
from feed.ecomdash.sandbox.state import SandboxState

SANDBOX_URL = "http://sandbox.test/api"


@pytest.fixture(autouse=True)
def instant_retries():
    """Retries keep their attempt counts but do not sleep."""
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


def unlimited() -> AccountLimiter:
    return AccountLimiter(calls_per_minute=1e9, burst=1e9, concurrency=100)


@pytest.fixture
def sandbox_state() -> SandboxState:
    state = SandboxState(portal_keys={DEMO_PORTAL_KEY})
    load_demo(state)
    return state


@pytest.fixture
def sandbox_app(sandbox_state):
    return create_sandbox_app(sandbox_state)


@pytest.fixture
def account(sandbox_state):
    return sandbox_state.accounts[DEMO_ECD_KEY]


def sandbox_client(app, **overrides) -> EcomdashClient:
    options = {
        "base_url": SANDBOX_URL,
        "ecd_subscription_key": DEMO_ECD_KEY,
        "apim_subscription_key": DEMO_PORTAL_KEY,
        "limiter": unlimited(),
        "transport": SandboxTransport(app=app),
    } | overrides
    return EcomdashClient(**options)


@pytest.fixture
async def ecomdash(sandbox_app) -> AsyncIterator[EcomdashClient]:
    async with sandbox_client(sandbox_app) as client:
        yield client
