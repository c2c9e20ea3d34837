from datetime import UTC, datetime, timedelta

import pytest

from feed.demo import SAMPLE_DATA
from tests.factories import make_channel, put_csv
from tests.operations.helpers import SANDBOX, run


def add_order(
    account,
    *,
    days_ago=1,
    status="InProcess",
    method="Ground",
    skus=("APP-000002",),
    number=None,
    storefront="eBay",
):
    order_id = account.next_id()
    created = datetime.now(UTC) - timedelta(days=days_ago)
    account.orders[order_id] = {
        "EcomdashId": order_id,
        "StorefrontOrderNumber": number or f"T-{order_id}",
        "StorefrontType": storefront,
        "StorefrontId": 32927,
        "Status": status,
        "CreatedDate": created.replace(tzinfo=None).isoformat(timespec="seconds"),
        "TotalAmount": 10.0,
        "ShippingMethod": method,
        "ShipToContact": {
            "FullName": "Ann Buyer",
            "EmailAddress": "ann@example.com",
            "Address": {"Street1": "1 Main St", "City": "Springfield"},
        },
    }
    account.line_items[order_id] = [
        {
            "OrderLineItemId": account.next_id(),
            "SalesOrderId": order_id,
            "QuantitySold": 2,
            "UnitPrice": 5.0,
            "SkuNumber": sku,
            "ProductName": sku,
        }
        for sku in skus
    ]
    return order_id


@pytest.fixture
def channel(client):
    """The demo catalog, linked; the sandbox's 40 seeded orders are left out of the way."""
    channel = make_channel(client, **SANDBOX)
    put_csv(client, channel["id"], (SAMPLE_DATA / "catalog.csv").read_bytes())
    run(client, channel["id"], "link-listings")
    return channel


@pytest.fixture(autouse=True)
def only_test_orders(account):
    account.orders.clear()
    account.line_items.clear()


def orders(client, channel_id, **params):
    return client.get(f"/api/v1/channels/{channel_id}/orders", params=params).json()["data"]


def test_imports_orders_once_with_lines_ship_to_and_reasons(client, channel, account):
    ecomdash_id = add_order(account, method="Next Day Air")

    first = run(client, channel["id"], "get-orders")

    assert first["counts"] == {"imported": 1, "held": 1}
    [order] = orders(client, channel["id"])
    assert order["ecomdash_order_id"] == ecomdash_id
    assert order["state"] == "held"
    assert order["hold_reasons"] == ['unmapped_shipping: "Next Day Air"']
    detail = client.get(f"/api/v1/orders/{order['id']}").json()
    assert detail["ship_to"]["FullName"] == "Ann Buyer"
    assert detail["buyer_email"] == "ann@example.com"
    assert [(li["sku"], li["quantity"], li["unknown_sku"]) for li in detail["lines"]] == [
        ("APP-000002", 2, False)
    ]
    again = run(client, channel["id"], "get-orders")
    assert again["counts"] == {"already_imported": 1}
    assert len(orders(client, channel["id"])) == 1


def test_a_mapping_for_the_method_releases_held_orders(client, channel, account):
    add_order(account, method="Next Day Air")
    add_order(account, method="next day air ")
    add_order(account, method="Pigeon")
    run(client, channel["id"], "get-orders")

    response = client.put(
        f"/api/v1/channels/{channel['id']}/shipping-mappings",
        json=[
            {
                "method": "Next Day Air",
                "carrier": "UPS",
                "service": "Next Day Air",
                "ecomdash_carrier_id": 42222,
            }
        ],
    )

    assert response.json()["released"] == 2
    ready = orders(client, channel["id"], state="ready")
    assert {(o["carrier"], o["service"]) for o in ready} == {("UPS", "Next Day Air")}
    [held] = orders(client, channel["id"], state="held")
    assert held["hold_reasons"] == ['unmapped_shipping: "Pigeon"']


def test_mapped_orders_import_ready(client, channel, account):
    client.put(
        f"/api/v1/channels/{channel['id']}/shipping-mappings",
        json=[{"method": "Ground", "carrier": "USPS", "service": "Ground"}],
    )
    add_order(account)
    assert run(client, channel["id"], "get-orders")["counts"] == {"imported": 1}
    assert orders(client, channel["id"])[0]["state"] == "ready"


def test_duplicate_methods_in_mappings_are_422(client, channel):
    response = client.put(
        f"/api/v1/channels/{channel['id']}/shipping-mappings",
        json=[
            {"method": "Ground", "carrier": "A", "service": "B"},
            {"method": "GROUND", "carrier": "A", "service": "B"},
        ],
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", 1, "method"]


def test_status_and_age_filters_with_the_boundary_day(client, channel, account):
    inside = add_order(account, days_ago=7)  # the boundary day is still in the window
    add_order(account, days_ago=8)
    add_order(account, days_ago=1, status="New")
    add_order(account, days_ago=2, status="Complete")

    result = run(client, channel["id"], "get-orders")

    assert result["counts"] == {
        "imported": 1,
        "held": 1,
        "skipped_status_New": 1,
        "skipped_status_Complete": 1,
        "skipped_too_old": 1,
    }
    assert [o["ecomdash_order_id"] for o in orders(client, channel["id"])] == [inside]


def test_configured_statuses_and_days(client, channel, account):
    client.patch(
        f"/api/v1/channels/{channel['id']}",
        json={"order_statuses": ["InProcess", "New"], "order_days": 10},
    )
    add_order(account, days_ago=9)
    add_order(account, days_ago=1, status="New")
    assert run(client, channel["id"], "get-orders")["counts"]["imported"] == 2


def test_unknown_skus_hold_the_order_until_linked_or_import_flagged(client, channel, account):
    add_order(account, skus=("APP-000002", "NOT-LINKED-1"))
    run(client, channel["id"], "get-orders")
    [order] = orders(client, channel["id"])
    assert "unknown_sku: NOT-LINKED-1" in order["hold_reasons"]

    client.patch(f"/api/v1/channels/{channel['id']}", json={"import_unknown_skus": True})
    add_order(account, skus=("NOT-LINKED-2",), method="Ground")
    client.put(
        f"/api/v1/channels/{channel['id']}/shipping-mappings",
        json=[{"method": "Ground", "carrier": "USPS", "service": "Ground"}],
    )
    run(client, channel["id"], "get-orders")
    newest = orders(client, channel["id"])[0]
    assert newest["state"] == "ready"
    lines = client.get(f"/api/v1/orders/{newest['id']}").json()["lines"]
    assert lines[0]["unknown_sku"] is True


def test_an_order_held_for_an_unknown_sku_is_released_when_it_gets_linked(client, channel, account):
    client.put(
        f"/api/v1/channels/{channel['id']}/shipping-mappings",
        json=[{"method": "Ground", "carrier": "USPS", "service": "Ground"}],
    )
    account.create_product({"Sku": "LATE-1", "Name": "arrives later"})
    add_order(account, skus=("LATE-1",))
    run(client, channel["id"], "get-orders")
    assert orders(client, channel["id"])[0]["hold_reasons"] == ["unknown_sku: LATE-1"]

    client.put(
        f"/api/v1/channels/{channel['id']}/listings",
        content=b"SKU,Name\r\nLATE-1,Late\r\n",
        headers={"Content-Type": "text/csv"},
    )
    linked = run(client, channel["id"], "link-listings")

    assert linked["counts"]["orders_released"] == 1
    assert orders(client, channel["id"])[0]["state"] == "ready"


def test_the_same_marketplace_order_under_a_new_id_is_held_as_a_duplicate(client, channel, account):
    client.put(
        f"/api/v1/channels/{channel['id']}/shipping-mappings",
        json=[{"method": "Ground", "carrier": "USPS", "service": "Ground"}],
    )
    add_order(account, number="EB-555")
    run(client, channel["id"], "get-orders")
    add_order(account, number="EB-555")
    run(client, channel["id"], "get-orders")
    newest, first = orders(client, channel["id"])
    assert newest["state"] == "held"
    assert newest["hold_reasons"] == [f"duplicate_of: {first['id']}"]


def test_a_cancellation_is_recorded(client, channel, account):
    client.patch(
        f"/api/v1/channels/{channel['id']}", json={"order_statuses": ["InProcess", "Cancelled"]}
    )
    ecomdash_id = add_order(account)
    run(client, channel["id"], "get-orders")
    account.orders[ecomdash_id]["Status"] = "Cancelled"

    result = run(client, channel["id"], "get-orders")

    assert result["counts"]["status_changed"] == 1
    assert orders(client, channel["id"])[0]["state"] == "cancelled"


def test_many_orders_are_paged_and_a_rerun_only_reads(client, channel, account, sandbox_state):
    client.put(
        f"/api/v1/channels/{channel['id']}/shipping-mappings",
        json=[{"method": "Ground", "carrier": "USPS", "service": "Ground"}],
    )
    for _ in range(450):
        add_order(account)
    first = run(client, channel["id"], "get-orders")
    assert first["counts"]["imported"] == 450
    sandbox_state.requests.clear()

    again = run(client, channel["id"], "get-orders")

    assert again["counts"] == {"already_imported": 450}
    searches = [r for r in sandbox_state.requests if r["path"] == "/api/orders/getOrders"]
    assert len(searches) == again["api_calls"] == 3 + 2 + 1  # 3 pages, 2 statuses, too old
    page = client.get(f"/api/v1/channels/{channel['id']}/orders", params={"limit": 400}).json()
    assert len(page["data"]) == 400
    rest = client.get(
        f"/api/v1/channels/{channel['id']}/orders",
        params={"limit": 400, "cursor": page["next_cursor"]},
    ).json()
    assert len(rest["data"]) == 50
    assert rest["next_cursor"] is None
