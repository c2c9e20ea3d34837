import csv
import math

import httpx
import pytest

from feed.app import create_app
from feed.demo import SAMPLE_DATA
from feed.ecomdash.sandbox.app import SandboxTransport
from tests.conftest import ADMIN_TOKEN
from tests.factories import make_channel, make_listing, put_csv, put_listings
from tests.operations.helpers import SANDBOX, run


def sku_matched() -> list[str]:
    """Catalog SKUs the sandbox seed carries too (the first 60 rows of the catalog)."""
    with (SAMPLE_DATA / "catalog.csv").open(encoding="utf-8", newline="") as f:
        return [row["SKU"] for row in csv.DictReader(f)][:60]


def quantity_calls(state) -> list[dict]:
    return [r for r in state.requests if r["path"] == "/api/inventory/updateQuantityOnHand"]


@pytest.fixture
def linked(client, sandbox_state) -> dict:
    """The demo catalog, linked (110 listings) and synced once."""
    channel = make_channel(client, **SANDBOX)
    put_csv(client, channel["id"], (SAMPLE_DATA / "catalog.csv").read_bytes())
    assert run(client, channel["id"], "link-listings")["counts"]["linked"] == 110
    first = run(client, channel["id"], "sync-listings")
    assert first["state"] == "succeeded", first
    sandbox_state.requests.clear()
    return channel | {"first_sync": first}


def test_first_sync_sends_every_linked_quantity_in_batches(linked, account, client):
    first = linked["first_sync"]
    assert first["counts"]["quantities_sent"] == 110
    counts = first["counts"]
    assert counts.get("prices_sent", 0) + counts.get("prices_already_set", 0) == 110
    listing = client.get(f"/api/v1/channels/{linked['id']}/listings/APP-000002").json()
    product = account.products[listing["ecomdash_product_id"]]
    assert product["QuantityOnHand"] == listing["offer_quantity"] == listing["synced_quantity"]
    assert str(product["GlobalListingAttributes"]["Price"]) == listing["offer_price"]


def test_nothing_changed_means_zero_calls(linked, client, sandbox_state):
    again = run(client, linked["id"], "sync-listings")
    assert again["state"] == "succeeded"
    assert again["api_calls"] == 0
    assert sandbox_state.requests == type(sandbox_state.requests)(maxlen=2000)


def test_only_changed_quantities_are_sent_in_ceil_n_over_batch_calls(
    linked, client, sandbox_state, account
):
    skus = sku_matched()[1:4]
    put_listings(client, linked["id"], [{"sku": s, "quantity": 77} for s in skus])

    result = run(client, linked["id"], "sync-listings")

    assert result["counts"] == {"quantities_sent": 3}
    assert len(quantity_calls(sandbox_state)) == math.ceil(3 / 25) == result["api_calls"]
    assert [u["Sku"] for u in quantity_calls(sandbox_state)[0]["body"]] == skus
    assert all(account.active_by_sku(s)["QuantityOnHand"] == 77 for s in skus)


def test_linked_by_upc_uses_ecomdash_sku(linked, client, sandbox_state):
    listings = client.get(
        f"/api/v1/channels/{linked['id']}/listings", params={"limit": 1000}
    ).json()["data"]
    by_upc = next(x for x in listings if x["link_method"] == "upc")
    put_listings(client, linked["id"], [{"sku": by_upc["sku"], "quantity": 5}])
    run(client, linked["id"], "sync-listings")
    [update] = quantity_calls(sandbox_state)[0]["body"]
    assert update["Sku"] == by_upc["ecomdash_sku"] != by_upc["sku"]


def test_partial_success_is_recorded_and_retried_next_run(linked, client, account):
    ok_sku, failing_sku = sku_matched()[1:3]
    put_listings(client, linked["id"], [{"sku": s, "quantity": 9} for s in (ok_sku, failing_sku)])
    product = account.active_by_sku(failing_sku)
    product["IsActive"] = False

    result = run(client, linked["id"], "sync-listings")

    assert result["state"] == "partially_failed"
    assert result["counts"] == {"quantities_sent": 1, "quantities_failed": 1}
    message = f"No active products with SKU '{failing_sku}' were found."
    assert result["errors"] == [{"sku": failing_sku, "message": f"quantity: {message}"}]
    failed = client.get(f"/api/v1/channels/{linked['id']}/listings/{failing_sku}").json()
    assert failed["sync_error"] == message

    product["IsActive"] = True
    retry = run(client, linked["id"], "sync-listings")
    assert retry["counts"] == {"quantities_sent": 1}
    assert account.active_by_sku(failing_sku)["QuantityOnHand"] == 9
    fixed = client.get(f"/api/v1/channels/{linked['id']}/listings/{failing_sku}").json()
    assert fixed["sync_error"] is None


def test_price_changes_go_through_a_read_modify_write(linked, client, sandbox_state, account):
    sku = sku_matched()[1]
    put_listings(client, linked["id"], [{"sku": sku, "price": "123.45"}])
    result = run(client, linked["id"], "sync-listings")
    assert result["counts"] == {"prices_sent": 1}
    methods = [r["method"] for r in sandbox_state.requests]
    assert methods == ["GET", "PUT"]
    assert account.active_by_sku(sku)["GlobalListingAttributes"]["Price"] == 123.45


def test_excluded_listings_are_sent_quantity_zero(linked, client, account):
    sku = sku_matched()[1]
    client.patch(
        f"/api/v1/channels/{linked['id']}", json={"rules": {"filters": {"exclude_skus": [sku]}}}
    )
    result = run(client, linked["id"], "sync-listings")
    assert result["counts"] == {"quantities_sent": 1}
    assert account.active_by_sku(sku)["QuantityOnHand"] == 0


def test_full_resends_every_linked_listing(linked, client, sandbox_state):
    result = run(client, linked["id"], "sync-listings", full=True)
    assert result["counts"]["quantities_sent"] == 110
    assert len(quantity_calls(sandbox_state)) == math.ceil(110 / 25)


class FailingTransport(SandboxTransport):
    """Cuts every connection after ``allow`` calls, as a crash or a network loss would."""

    allow: int | None = None
    calls = 0

    async def handle_async_request(self, request):
        type(self).calls += 1
        if self.allow is not None and type(self).calls > self.allow:
            raise httpx.ConnectError("network down", request=request)
        return await super().handle_async_request(request)


def test_an_interrupted_run_is_completed_by_the_next_without_duplicates(
    settings, engine, sandbox_app, sandbox_state, account
):
    from fastapi.testclient import TestClient

    transport = FailingTransport(app=sandbox_app)
    app = create_app(settings, engine, ecomdash_transport=transport)
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
        channel = make_channel(client, **SANDBOX, ecomdash_warehouse_id=4865)
        put_listings(
            client,
            channel["id"],
            [make_listing(sku=s, upc=None, quantity=n) for n, s in enumerate(sku_matched())],
        )
        assert run(client, channel["id"], "link-listings")["counts"]["linked"] == 60
        sandbox_state.requests.clear()
        FailingTransport.calls, transport.allow = 0, 1  # the first batch gets through

        broken = run(client, channel["id"], "sync-listings")

        assert broken["state"] == "failed"
        assert broken["error"].startswith("TransportError")
        assert broken["counts"] == {"quantities_sent": 25}
        transport.allow = None
        again = run(client, channel["id"], "sync-listings")
        assert again["state"] == "succeeded"
        assert again["counts"]["quantities_sent"] == 35
        sent = [
            u["Sku"]
            for r in sandbox_state.requests
            if r["path"] == "/api/inventory/updateQuantityOnHand" and r["status"] == 200
            for u in r["body"]
        ]
        assert len(sent) == len(set(sent)) == 60  # every update once, none lost
        for n, sku in enumerate(sku_matched()):
            assert account.active_by_sku(sku)["QuantityOnHand"] == n


def test_a_first_sync_reads_prices_by_the_page_not_one_by_one(
    client, sandbox_state, account, monkeypatch
):
    import sys

    # The package re-exports the function under the module's name; patch the module.
    monkeypatch.setattr(sys.modules["feed.operations.sync_listings"], "PRICE_SCAN_THRESHOLD", 10)
    channel = make_channel(client, **SANDBOX, ecomdash_warehouse_id=4865)
    put_csv(client, channel["id"], (SAMPLE_DATA / "catalog.csv").read_bytes())
    run(client, channel["id"], "link-listings")
    sandbox_state.requests.clear()

    first = run(client, channel["id"], "sync-listings")

    price_reads = [
        r
        for r in sandbox_state.requests
        if r["method"] == "GET" and r["path"].startswith("/api/Inventory/")
    ]
    pages = [r for r in sandbox_state.requests if r["path"] == "/api/Inventory"]
    differing = first["counts"].get("prices_sent", 0)
    assert first["counts"]["prices_already_set"] + differing == 110
    assert len(pages) == 1  # 130 seeded products, one page of 200
    assert len(price_reads) == differing  # only the prices that differ are read and written
