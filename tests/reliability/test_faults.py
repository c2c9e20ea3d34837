"""ecomdash misbehaving during every operation: each run ends, a clean re-run converges.

The fault mix on every call: 20% answered 500, dropped connections, malformed JSON (after the
sandbox applied the call, so a create may have happened without our knowing), latency spikes,
and a burst of 429s with ``Retry-After``. Retries here do not sleep (see ``instant_retries``);
``test_throttling.py`` covers real ``Retry-After`` waits.
"""

from collections import Counter

import pytest

from feed.ecomdash.sandbox.faults import Faults
from tests.factories import put_listings
from tests.operations.test_get_orders import add_order
from tests.reliability.conftest import SCALE, finish


def faulty(account, seed: int) -> None:
    account.set_faults(
        Faults(
            error_rate=0.2,
            drop_rate=0.03,
            malformed_rate=0.03,
            spike_rate=SCALE["spike_rate"],
            spike_seconds=SCALE["spike_seconds"],
            throttle_next=3,
            throttle_retry_after=1,
            calls_per_minute=1_000_000,
            seed=seed,
        )
    )


def calm(account) -> None:
    account.set_faults(Faults(calls_per_minute=1_000_000))


def listings(client, channel_id: int) -> list[dict]:
    found, cursor = [], None
    while True:
        params = {"limit": 1000} | ({"cursor": cursor} if cursor else {})
        page = client.get(f"/api/v1/channels/{channel_id}/listings", params=params).json()
        found += page["data"]
        cursor = page.get("next_cursor")
        if not cursor:
            return found


def orders(client, channel_id: int) -> list[dict]:
    found, cursor = [], None
    while True:
        params = {"limit": 500} | ({"cursor": cursor} if cursor else {})
        page = client.get(f"/api/v1/channels/{channel_id}/orders", params=params).json()
        found += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            return found


@pytest.mark.parametrize("seed", range(SCALE["rounds"]))
def test_link_listings_converges_after_faults(client, channel, account, report, seed):
    faulty(account, seed)
    during = finish(client, channel["id"], "link-listings")
    calm(account)
    after = finish(client, channel["id"], "link-listings")

    assert after["state"] == "succeeded", after
    linked = [x for x in listings(client, channel["id"]) if x["ecomdash_product_id"]]
    assert len(linked) == 110
    # One of our listings per ecomdash product: no product linked twice.
    assert max(Counter(x["ecomdash_product_id"] for x in linked).values()) == 1
    report(
        during=during["state"],
        calls=during["api_calls"],
        errors=len(during["errors"]),
        linked=len(linked),
        duplicates=0,
        lost=110 - len(linked),
    )


@pytest.mark.parametrize("seed", range(SCALE["rounds"]))
def test_sync_listings_loses_no_quantity_update(client, linked, account, report, seed):
    assert finish(client, linked["id"], "sync-listings")["state"] == "succeeded"
    synced = [x for x in listings(client, linked["id"]) if x["ecomdash_product_id"]]
    changed = synced[: SCALE["changed_listings"]]
    put_listings(
        client,
        linked["id"],
        [{"sku": x["sku"], "quantity": 1000 + i} for i, x in enumerate(changed)],
    )

    faulty(account, seed)
    during = finish(client, linked["id"], "sync-listings")
    calm(account)
    after = finish(client, linked["id"], "sync-listings")

    assert after["state"] == "succeeded", after
    lost = 0
    for listing in listings(client, linked["id"]):
        if listing["ecomdash_product_id"] is None:
            continue
        product = account.products[listing["ecomdash_product_id"]]
        lost += product["QuantityOnHand"] != listing["offer_quantity"]
    assert lost == 0
    # The new quantities went out (listings that rules exclude are offered, and sent, as 0).
    now = {x["sku"]: x for x in listings(client, linked["id"])}
    offered = [i for i, x in enumerate(changed) if now[x["sku"]]["offer_quantity"] == 1000 + i]
    assert len(offered) > len(changed) // 2
    assert finish(client, linked["id"], "sync-listings")["api_calls"] == 0  # nothing left over
    report(
        during=during["state"],
        calls=during["api_calls"],
        errors=len(during["errors"]),
        changed=len(changed),
        lost=lost,
    )


@pytest.mark.parametrize("seed", range(SCALE["rounds"]))
def test_get_orders_imports_each_order_exactly_once_despite_faults(
    client, linked, account, report, seed
):
    created = [
        add_order(account, skus=("APP-000002", "TOO-000003")) for _ in range(SCALE["orders"])
    ]

    faulty(account, seed)
    during = finish(client, linked["id"], "get-orders")
    again = finish(client, linked["id"], "get-orders")  # still faulty: overlap, no duplicates
    calm(account)
    after = finish(client, linked["id"], "get-orders")

    assert after["state"] == "succeeded", after
    imported = [o["ecomdash_order_id"] for o in orders(client, linked["id"])]
    duplicates = len(imported) - len(set(imported))
    lost = len(set(created) - set(imported))
    assert (duplicates, lost) == (0, 0)
    assert sorted(imported) == sorted(created)
    for order in orders(client, linked["id"])[:20]:
        detail = client.get(f"/api/v1/orders/{order['id']}").json()
        assert [line["sku"] for line in detail["lines"]] == ["APP-000002", "TOO-000003"]
    report(
        orders=len(created),
        during=during["state"],
        calls=during["api_calls"] + again["api_calls"],
        errors=len(during["errors"]) + len(again["errors"]),
        imported=len(imported),
        duplicates=duplicates,
        lost=lost,
    )


@pytest.mark.parametrize("seed", range(SCALE["rounds"]))
def test_sync_orders_gets_every_tracking_number_to_ecomdash_once(
    client, linked, account, report, seed
):
    created = [add_order(account, skus=("APP-000002",)) for _ in range(SCALE["shipments"])]
    assert finish(client, linked["id"], "get-orders")["counts"]["imported"] == len(created)
    for i, order in enumerate(orders(client, linked["id"])):
        response = client.post(
            f"/api/v1/orders/{order['id']}/shipments",
            json={
                "tracking_number": f"1Z{seed:02d}{i:06d}",
                "lines": [{"sku": "APP-000002", "quantity": 2}],
            },
        )
        assert response.status_code == 201, response.text

    faulty(account, seed)
    during = finish(client, linked["id"], "sync-orders")
    calm(account)
    after = finish(client, linked["id"], "sync-orders")

    assert after["state"] == "succeeded", after
    remote: dict[int, list[dict]] = {}
    for shipment in account.shipments.values():
        remote.setdefault(shipment["EcomdashOrderId"], []).append(shipment)
    duplicates = sum(len(s) - 1 for s in remote.values())
    shipped = {
        order_id
        for order_id, shipments in remote.items()
        if any(all(i["IsShipped"] and i["TrackingNumber"] for i in s["Items"]) for s in shipments)
    }
    lost = len(set(created) - shipped)
    assert (duplicates, lost) == (0, 0)
    for order in orders(client, linked["id"]):
        [ours] = client.get(f"/api/v1/orders/{order['id']}/shipments").json()
        assert ours["state"] == "confirmed", ours
    report(
        shipments=len(created),
        during=during["state"],
        calls=during["api_calls"],
        errors=len(during["errors"]),
        duplicates=duplicates,
        lost=lost,
    )
