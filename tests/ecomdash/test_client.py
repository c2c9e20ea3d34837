"""The client on its own, against small fake ecomdash apps mounted with httpx.MockTransport."""

from decimal import Decimal

import httpx
import orjson
import pytest

from feed.ecomdash.client import EcomdashClient
from feed.ecomdash.errors import (
    AuthenticationError,
    BadRequestError,
    RateLimitError,
    ServerError,
    TransportError,
)
from feed.ecomdash.models import Product, QuantityUpdate
from feed.ecomdash.retry import MAX_ATTEMPTS, backoff_hook, parse_retry_after
from tests.sandbox import unlimited


class App:
    """Answers each request with the next queued response, and records what it got."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(response, Exception):
            raise response
        return response


def ok(data=None, **extra) -> httpx.Response:
    return httpx.Response(200, json={"status": "Success", "messages": [], "data": data} | extra)


def client_for(app: App, **kw) -> EcomdashClient:
    options = {
        "base_url": "https://ecomdash.test/api",
        "ecd_subscription_key": "ecd-key",
        "apim_subscription_key": "portal-key",
        "limiter": unlimited(),
        "transport": httpx.MockTransport(app),
    } | kw
    return EcomdashClient(**options)


class TestHeadersAndEnvelope:
    async def test_auth_headers_are_sent_on_every_call(self):
        app = App(ok([]))
        async with client_for(app, application_id="app-1") as client:
            await client.get_products("sku", ["A"])
            await client.get_products("upc", ["036000291452"])
        for request in app.requests:
            assert request.headers["ecd-subscription-key"] == "ecd-key"
            assert request.headers["ocp-apim-subscription-key"] == "portal-key"
            assert request.headers["application-id"] == "app-1"

    async def test_optional_headers_are_omitted_when_not_configured(self):
        app = App(ok([]))
        async with client_for(app, apim_subscription_key=None) as client:
            await client.get_products("sku", ["A"])
        assert "ocp-apim-subscription-key" not in app.requests[0].headers
        assert "application-id" not in app.requests[0].headers

    async def test_decimal_ids_become_ints(self):
        item = {
            "Id": 2019007911.0,
            "Sku": "A",
            "QuantityOnHand": 3.0,
            "UPC": None,
            "Warehouses": [{"ProductId": 2019007911.0, "WarehouseId": 4865.0, "QuantityOnHand": 3}],
        }
        async with client_for(App(ok([item]))) as client:
            [found] = await client.get_products("sku", ["A"])
        assert found.id == 2019007911
        assert isinstance(found.id, int)
        assert found.warehouses[0].warehouse_id == 4865

    async def test_http_200_with_failure_status_raises(self):
        body = {"status": "Failure", "messages": ["Something is wrong"], "data": None}
        async with client_for(App(httpx.Response(200, json=body))) as client:
            with pytest.raises(BadRequestError, match="Something is wrong") as info:
                await client.get_products("sku", ["A"])
        assert info.value.messages == ["Something is wrong"]

    async def test_was_successful_false_raises(self):
        data = {"Product": None, "WasSuccessful": False, "Messages": ["SKU exists"]}
        async with client_for(App(ok(data))) as client:
            with pytest.raises(BadRequestError, match="SKU exists"):
                await client.create_product(Product(sku="A", name="x"))

    async def test_partial_success_is_per_item_outcomes_across_batches(self):
        app = App(
            httpx.Response(200, json={"status": "Success", "messages": []}),
            httpx.Response(
                200,
                json={
                    "status": "Partial Success",
                    "messages": ["Index 1: No active products with SKU 'D' were found."],
                },
            ),
        )
        updates = [QuantityUpdate(sku=s, quantity=Decimal(1), warehouse_id=7) for s in "ABCDE"]
        async with client_for(app, quantity_batch_size=2) as client:
            outcomes = await client.update_quantities(updates[:4])
        assert [o.ok for o in outcomes] == [True, True, True, False]
        assert outcomes[3].index == 3
        assert "No active products with SKU 'D'" in outcomes[3].message
        assert [orjson.loads(r.content) for r in app.requests][1] == [
            {"Sku": "C", "Quantity": 1, "WarehouseId": 7},
            {"Sku": "D", "Quantity": 1, "WarehouseId": 7},
        ]

    async def test_failure_with_index_messages_is_outcomes_not_an_exception(self):
        body = {"status": "Failure", "messages": ["Index 0: No active products with SKU 'A'."]}
        async with client_for(App(httpx.Response(200, json=body))) as client:
            [outcome] = await client.update_quantities([QuantityUpdate(sku="A", quantity=1)])
        assert outcome.ok is False


class TestErrors:
    async def test_403_is_authentication_error_with_ecomdash_message_and_no_retry(self):
        message = "The provided 'ecd-subscription-key' / 'application-id' combination is not valid"
        app = App(httpx.Response(403, json={"Message": message}))
        async with client_for(app) as client:
            with pytest.raises(AuthenticationError, match="combination is not valid") as info:
                await client.get_products("sku", ["A"])
        assert info.value.status_code == 403
        assert info.value.path == "/api/inventory/getProducts"
        assert len(app.requests) == 1

    async def test_401_from_the_gateway_is_authentication_error(self):
        body = {"statusCode": 401, "message": "Access denied due to invalid subscription key."}
        async with client_for(App(httpx.Response(401, json=body))) as client:
            with pytest.raises(AuthenticationError, match="invalid subscription key"):
                await client.get_product(1)

    async def test_400_is_not_retried(self):
        app = App(httpx.Response(400, json={"Message": "The request is invalid."}))
        async with client_for(app) as client:
            with pytest.raises(BadRequestError, match="invalid"):
                await client.get_product(1)
        assert len(app.requests) == 1

    async def test_429_is_retried_after_retry_after_then_succeeds(self):
        app = App(
            httpx.Response(
                429,
                headers={"Retry-After": "3"},
                json={"statusCode": 429, "message": "Rate limit is exceeded."},
            ),
            ok([]),
        )
        async with client_for(app) as client:
            assert await client.get_products("sku", ["A"]) == []
        assert len(app.requests) == 2

    async def test_500_storm_gives_up_after_the_policy(self):
        app = App(httpx.Response(500, json={"Message": "Oops, something went wrong"}))
        async with client_for(app) as client:
            with pytest.raises(ServerError, match="Oops"):
                await client.get_product(1)
        assert len(app.requests) == MAX_ATTEMPTS

    async def test_timeout_is_transport_error_after_retries(self):
        app = App(httpx.ReadTimeout("slow"))
        async with client_for(app) as client:
            with pytest.raises(TransportError, match="timed out"):
                await client.get_product(1)
        assert len(app.requests) == MAX_ATTEMPTS

    async def test_malformed_json_is_transport_error(self):
        app = App(
            httpx.Response(
                200, content=b'{"status": "Succ', headers={"Content-Type": "application/json"}
            )
        )
        async with client_for(app) as client:
            with pytest.raises(TransportError, match="not valid JSON"):
                await client.get_product(1)

    async def test_create_is_not_resent_after_a_server_error(self):
        app = App(httpx.Response(500, json={"Message": "Oops"}))
        async with client_for(app) as client:
            with pytest.raises(ServerError):
                await client.create_product(Product(sku="A", name="x"))
        assert len(app.requests) == 1

    async def test_create_is_resent_after_a_throttle(self):
        created = {"Product": {"Id": 5.0, "Sku": "A"}, "WasSuccessful": True, "Messages": []}
        app = App(httpx.Response(429, headers={"Retry-After": "1"}), ok(created))
        async with client_for(app) as client:
            product = await client.create_product(Product(sku="A", name="x"))
        assert product.id == 5
        assert len(app.requests) == 2


class TestRetryPolicy:
    def test_retry_after_header_wins(self):
        response = httpx.Response(
            429, headers={"Retry-After": "7"}, json={"message": "Try again in 30 seconds."}
        )
        assert parse_retry_after(response) == 7.0

    def test_apim_message_is_the_fallback(self):
        response = httpx.Response(
            429, json={"message": "Rate limit is exceeded. Try again in 12 seconds."}
        )
        assert parse_retry_after(response) == 12.0

    def test_retry_after_is_capped(self):
        assert parse_retry_after(httpx.Response(429, headers={"Retry-After": "3600"})) == 60.0

    def test_hook_waits_what_the_gateway_asked(self):
        hook = backoff_hook(idempotent=True)
        assert hook(RateLimitError("x", retry_after=7.0)) == 7.0
        assert hook(ServerError("x")) is True
        assert hook(AuthenticationError("x")) is False
        assert hook(BadRequestError("x")) is False

    def test_non_idempotent_calls_retry_only_what_never_arrived(self):
        hook = backoff_hook(idempotent=False)
        assert hook(ServerError("x")) is False
        refused = TransportError("x")
        refused.__cause__ = httpx.ConnectError("refused")
        assert hook(refused) is True
        assert hook(TransportError("x")) is False


class TestPaging:
    async def test_pages_until_the_last(self):
        def page(n, total):
            return ok(
                [{"Id": n, "Sku": f"S{n}"}],
                pagination={
                    "CurrentPage": n,
                    "TotalNumberOfEntries": total,
                    "TotalNumberOfPages": total,
                },
            )

        app = App(page(1, 3), page(2, 3), page(3, 3))
        async with client_for(app) as client:
            skus = [p.sku async for p in client.iter_products()]
        assert skus == ["S1", "S2", "S3"]
        assert [r.url.params["pageNumber"] for r in app.requests] == ["1", "2", "3"]
        assert {r.url.params["resultsPerPage"] for r in app.requests} == {"200"}

    async def test_a_repeated_page_is_an_error_not_a_loop(self):
        stuck = ok(
            [{"Id": 1, "Sku": "S"}],
            pagination={"CurrentPage": 1, "TotalNumberOfEntries": 9, "TotalNumberOfPages": 9},
        )
        async with client_for(App(stuck)) as client:
            with pytest.raises(TransportError, match="asked for page 2, got 1"):
                _ = [p async for p in client.iter_products()]
