"""The sandbox's gateway rules and injected faults, seen through the real client."""

import asyncio
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from feed.ecomdash.client import EcomdashClient
from feed.ecomdash.errors import AuthenticationError, RateLimitError, ServerError, TransportError
from feed.ecomdash.retry import MAX_ATTEMPTS, AccountLimiter
from feed.ecomdash.sandbox.faults import Faults
from feed.ecomdash.sandbox.gateway import FORBIDDEN, OOPS
from tests.sandbox import sandbox_client


def calls(state, path="/api/Warehouses") -> list[dict]:
    return [r for r in state.requests if r["path"] == path]


async def warehouses(client) -> list:
    return [w async for w in client.iter_warehouses()]


class TestAuthentication:
    async def test_unknown_ecd_key_is_403_with_the_documented_message(self, sandbox_app):
        async with sandbox_client(sandbox_app, ecd_subscription_key="nope") as client:
            with pytest.raises(AuthenticationError) as info:
                await warehouses(client)
        assert info.value.status_code == 403
        assert info.value.message == FORBIDDEN

    async def test_missing_portal_key_is_401_from_the_gateway(self, sandbox_app):
        async with sandbox_client(sandbox_app, apim_subscription_key=None) as client:
            with pytest.raises(AuthenticationError, match="missing subscription key") as info:
                await warehouses(client)
        assert info.value.status_code == 401

    async def test_wrong_portal_key_is_401(self, sandbox_app):
        async with sandbox_client(sandbox_app, apim_subscription_key="other") as client:
            with pytest.raises(AuthenticationError, match="invalid subscription key"):
                await warehouses(client)

    async def test_app_store_key_needs_its_application_id(self, sandbox_app, account):
        account.application_id = "app-42"
        async with sandbox_client(sandbox_app) as client:
            with pytest.raises(AuthenticationError, match="application-id"):
                await warehouses(client)
        async with sandbox_client(sandbox_app, application_id="app-42") as client:
            assert len(await warehouses(client)) == 2


class TestThrottling:
    async def test_over_the_minute_budget_is_429_with_retry_after(
        self, sandbox_app, sandbox_state, account
    ):
        account.set_faults(Faults(calls_per_minute=3))
        async with sandbox_client(sandbox_app, max_attempts=2) as client:
            for _ in range(3):
                await warehouses(client)
            with pytest.raises(RateLimitError) as info:
                await warehouses(client)
        assert 1 <= info.value.retry_after <= 60
        assert info.value.response.headers["retry-after"]
        assert "Rate limit is exceeded" in info.value.response.json()["message"]

    async def test_a_throttled_call_is_retried_then_succeeds(
        self, sandbox_app, sandbox_state, account
    ):
        account.set_faults(Faults(throttle_next=2))
        async with sandbox_client(sandbox_app) as client:
            assert len(await warehouses(client)) == 2
        assert [r["status"] for r in calls(sandbox_state)] == [429, 429, 200]

    async def test_more_than_three_concurrent_calls_per_operation_bounce(
        self, sandbox_app, account
    ):
        account.set_faults(Faults(latency=0.05))
        no_limit = AccountLimiter(calls_per_minute=1e9, burst=1e9, concurrency=100)
        async with sandbox_client(sandbox_app, limiter=no_limit, max_attempts=1) as client:
            results = await asyncio.gather(
                *(warehouses(client) for _ in range(6)), return_exceptions=True
            )
        assert any(isinstance(r, RateLimitError) for r in results)

    async def test_the_client_limiter_keeps_concurrency_under_the_gateway_rule(
        self, sandbox_app, account
    ):
        account.set_faults(Faults(latency=0.05))
        limiter = AccountLimiter(calls_per_minute=1e9, burst=1e9)  # default concurrency
        async with sandbox_client(sandbox_app, limiter=limiter, max_attempts=1) as client:
            results = await asyncio.gather(*(warehouses(client) for _ in range(6)))
        assert all(len(r) == 2 for r in results)


class TestFaults:
    async def test_500_storm_raises_server_error_after_the_policy(
        self, sandbox_app, sandbox_state, account
    ):
        account.set_faults(Faults(error_rate=1.0))
        async with sandbox_client(sandbox_app) as client:
            with pytest.raises(ServerError, match=OOPS):
                await warehouses(client)
        assert len(calls(sandbox_state)) == MAX_ATTEMPTS

    async def test_some_500s_are_ridden_out_by_retries(self, sandbox_app, account):
        account.set_faults(Faults(error_rate=0.3, seed=1))
        async with sandbox_client(sandbox_app) as client:
            for _ in range(20):
                assert len(await warehouses(client)) == 2

    async def test_dropped_connections_are_transport_errors(self, sandbox_app, account):
        account.set_faults(Faults(drop_rate=1.0))
        async with sandbox_client(sandbox_app) as client:
            with pytest.raises(TransportError, match="connection failed"):
                await warehouses(client)

    async def test_malformed_json_is_a_transport_error(self, sandbox_app, account):
        account.set_faults(Faults(malformed_rate=1.0))
        async with sandbox_client(sandbox_app) as client:
            with pytest.raises(TransportError, match="not valid JSON"):
                await warehouses(client)


@pytest.fixture
def served_sandbox(sandbox_app):
    """The sandbox on a real loopback socket, for timeouts and dropped TCP connections."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(sandbox_app, port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/api"
    server.should_exit = True
    thread.join(timeout=10)


async def test_a_slow_answer_times_out_instead_of_hanging(served_sandbox, sandbox_app, account):
    account.set_faults(Faults(latency=2.0))
    client = EcomdashClient(
        base_url=served_sandbox,
        ecd_subscription_key=account.ecd_key,
        apim_subscription_key="demo-apim-subscription-key",
        max_attempts=2,
        timeout=httpx.Timeout(0.2),
        limiter=AccountLimiter(1e9, 1e9),
    )
    started = time.monotonic()
    async with client:
        with pytest.raises(TransportError, match="timed out"):
            await warehouses(client)
    assert time.monotonic() - started < 2.0


async def test_a_dropped_tcp_connection_is_a_transport_error(served_sandbox, account):
    account.set_faults(Faults(drop_rate=1.0))
    client = EcomdashClient(
        base_url=served_sandbox,
        ecd_subscription_key=account.ecd_key,
        apim_subscription_key="demo-apim-subscription-key",
        max_attempts=2,
        limiter=AccountLimiter(1e9, 1e9),
    )
    async with client:
        with pytest.raises(TransportError, match="connection failed"):
            await warehouses(client)
