import httpx
import pytest

from feed.ecomdash.sandbox.faults import Faults
from tests.factories import make_channel, make_listing, put_listings
from tests.operations.helpers import SANDBOX, run
from tests.operations.test_get_orders import add_order

SKUS = ("APP-000002", "TOO-000003")


@pytest.fixture
def order(client, account):
    """One imported, ready order with two lines (2 of each SKU)."""
    account.orders.clear()
    channel = make_channel(client, **SANDBOX)
    put_listings(client, channel["id"], [make_listing(sku=s, upc=None) for s in SKUS])
    run(client, channel["id"], "link-listings")
    client.put(
        f"/api/v1/channels/{channel['id']}/shipping-mappings",
        json=[
            {
                "method": "Ground",
                "carrier": "UPS",
                "service": "Ground",
                "ecomdash_carrier_id": 42222,
            }
        ],
    )
    ecomdash_id = add_order(account, skus=SKUS)
    run(client, channel["id"], "get-orders")
    [imported] = client.get(f"/api/v1/channels/{channel['id']}/orders").json()["data"]
    assert imported["state"] == "ready"
    return imported | {"channel": channel, "ecomdash_id": ecomdash_id}


def ship(client, order, *, tracking="1Z001", lines=None, expect=201, **extra):
    body = {
        "tracking_number": tracking,
        "lines": lines or [{"sku": s, "quantity": 2} for s in SKUS],
    } | extra
    response = client.post(f"/api/v1/orders/{order['id']}/shipments", json=body)
    assert response.status_code == expect, response.text
    return response.json()


class TestRecordingShipments:
    def test_a_shipment_takes_carrier_and_service_from_the_mapping(self, client, order):
        shipment = ship(client, order)
        assert (shipment["carrier"], shipment["service"], shipment["state"]) == (
            "UPS",
            "Ground",
            "pending",
        )

    def test_over_shipping_unknown_sku_and_duplicate_tracking_are_422(self, client, order):
        over = ship(client, order, lines=[{"sku": SKUS[0], "quantity": 3}], expect=422)
        assert over["detail"] == [
            {
                "loc": ["body", "lines", 0, "quantity"],
                "message": f"ships 1 more of '{SKUS[0]}' than is left",
            }
        ]
        unknown = ship(client, order, lines=[{"sku": "NOPE", "quantity": 1}], expect=422)
        assert unknown["detail"][0]["loc"] == ["body", "lines", 0, "sku"]
        ship(client, order, lines=[{"sku": SKUS[0], "quantity": 1}])
        again = ship(client, order, lines=[{"sku": SKUS[0], "quantity": 1}], expect=422)
        assert "already used" in again["detail"][0]["message"]
        rest = ship(
            client, order, tracking="1Z002", lines=[{"sku": SKUS[0], "quantity": 2}], expect=422
        )
        assert "ships 1 more" in rest["detail"][0]["message"]

    def test_tracking_is_required_unless_suppressed(self, client, order):
        ship(client, order, tracking=None, expect=422)
        assert ship(client, order, tracking=None, suppress_tracking=True)["state"] == "suppressed"


class TestSyncOrders:
    def test_creates_the_ecomdash_shipment_and_submits_tracking(
        self, client, order, account, sandbox_state
    ):
        ship(client, order)
        sandbox_state.requests.clear()

        result = run(client, order["channel"]["id"], "sync-orders")

        assert result["counts"]["confirmed"] == 1
        calls = [(r["method"], r["path"]) for r in sandbox_state.requests][:3]
        assert calls == [
            ("GET", f"/api/orders/{order['ecomdash_id']}/shipments"),
            ("POST", "/api/Shipments/Create"),
            ("POST", "/api/Shipments/submitTrackingInfo"),
        ]
        tracking = sandbox_state.requests[2]["body"]
        assert tracking[0]["CarrierId"] == 42222
        assert tracking[0]["TrackingNumber"] == "1Z001"
        assert "LineItems" not in tracking[0]  # the whole order: every remaining item
        [remote] = [
            s for s in account.shipments.values() if s["EcomdashOrderId"] == order["ecomdash_id"]
        ]
        assert all(i["IsShipped"] and i["TrackingNumber"] == "1Z001" for i in remote["Items"])
        assert run(client, order["channel"]["id"], "sync-orders")["counts"].get("confirmed") is None

    def test_partial_shipments_name_their_lines(self, client, order, account, sandbox_state):
        ship(client, order, tracking="1ZA", lines=[{"sku": SKUS[0], "quantity": 2}])
        run(client, order["channel"]["id"], "sync-orders")
        ship(client, order, tracking="1ZB", lines=[{"sku": SKUS[1], "quantity": 2}])
        result = run(client, order["channel"]["id"], "sync-orders")

        assert result["counts"]["confirmed"] == 1
        submitted = [
            r["body"][0]
            for r in sandbox_state.requests
            if r["path"] == "/api/Shipments/submitTrackingInfo"
        ]
        # The first names its line; the second ships all that is left of its shipment.
        assert [len(s.get("LineItems", [])) for s in submitted] == [1, 0]
        items = [i for s in account.shipments.values() for i in s["Items"] if i["IsShipped"]]
        assert sorted(i["TrackingNumber"] for i in items) == ["1ZA", "1ZB"]

    def test_a_500_is_retried_next_run(self, client, order, account):
        ship(client, order)
        account.set_faults(Faults(error_rate=1.0, calls_per_minute=1_000_000))
        failed = run(client, order["channel"]["id"], "sync-orders")
        assert failed["counts"]["failed"] == 1
        assert failed["state"] in ("partially_failed", "failed")
        [shipment] = client.get(f"/api/v1/orders/{order['id']}/shipments").json()
        assert shipment["state"] == "failed"
        assert "Oops" in shipment["error"]

        account.set_faults(Faults(calls_per_minute=1_000_000))
        fixed = run(client, order["channel"]["id"], "sync-orders")
        assert fixed["counts"]["confirmed"] == 1

    def test_a_crash_after_create_never_creates_a_second_shipment(
        self, client, order, account, sandbox_state
    ):
        ship(client, order)
        # An earlier run created the ecomdash shipment, then died before recording it.
        account.create_shipment(order["ecomdash_id"])

        run(client, order["channel"]["id"], "sync-orders")

        remote = [
            s for s in account.shipments.values() if s["EcomdashOrderId"] == order["ecomdash_id"]
        ]
        assert len(remote) == 1
        assert remote[0]["Status"] == "Shipped"
        assert not any(r["path"] == "/api/Shipments/Create" for r in sandbox_state.requests)

    def test_suppressed_shipments_are_not_sent(self, client, order, sandbox_state):
        ship(client, order, tracking=None, suppress_tracking=True)
        sandbox_state.requests.clear()
        run(client, order["channel"]["id"], "sync-orders")
        assert not any("Shipments" in r["path"] for r in sandbox_state.requests)

    def test_a_cancellation_in_ecomdash_is_recorded(self, client, order, account):
        account.orders[order["ecomdash_id"]]["Status"] = "Cancelled"
        result = run(client, order["channel"]["id"], "sync-orders")
        assert result["counts"]["orders_cancelled"] == 1
        detail = client.get(f"/api/v1/orders/{order['id']}").json()
        assert detail["state"] == "cancelled"
        assert ship(client, order, expect=409)["error"] == "ConflictError"


def test_unknown_order_shipments_are_404(client):
    response = client.post(
        "/api/v1/orders/999/shipments",
        json={"tracking_number": "X", "lines": [{"sku": "A", "quantity": 1}]},
    )
    assert response.status_code == 404
    assert httpx.codes.NOT_FOUND == response.status_code
