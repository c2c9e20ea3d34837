"""Each client call against the sandbox, checked against the reference (ecomdash-api.md).

The assertions name what the reference documents — method, path, headers and body shape —
so they hold the sandbox to the contract rather than to its own behaviour.
"""

from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from feed.ecomdash.errors import BadRequestError
from feed.ecomdash.models import Product, QuantityUpdate, TrackingInfo
from feed.ecomdash.sandbox.seed import DEMO_ECD_KEY, DEMO_PORTAL_KEY

REQUIRED_HEADERS = {
    "ecd-subscription-key": DEMO_ECD_KEY,
    "ocp-apim-subscription-key": DEMO_PORTAL_KEY,
}


SKU = "APP-000002"  # a demo catalog SKU that the sandbox seed carries as-is


def last(state, path_suffix: str) -> dict:
    entry = next(r for r in reversed(state.requests) if r["path"].endswith(path_suffix))
    for name, value in REQUIRED_HEADERS.items():
        assert entry["headers"][name] == value
    return entry


class TestInventory:
    async def test_list_pages_with_page_number_and_results_per_page(self, ecomdash, sandbox_state):
        products = [p async for p in ecomdash.iter_products(page_size=50)]

        assert len(products) == 130
        assert len({p.id for p in products}) == 130
        pages = [r for r in sandbox_state.requests if r["path"] == "/api/Inventory"]
        assert [r["method"] for r in pages] == ["GET"] * 3
        assert [r["query"] for r in pages] == [
            f"pageNumber={n}&resultsPerPage=50" for n in (1, 2, 3)
        ]

    async def test_sku_filter_is_a_contains_match(self, ecomdash):
        found = [p.sku async for p in ecomdash.iter_products(sku="ecd-u000")]
        assert found == [f"ECD-U{i:04d}" for i in range(10)]

    async def test_get_by_id_is_a_bare_object(self, ecomdash, sandbox_state, account):
        product_id = next(iter(account.products))
        product = await ecomdash.get_product(product_id)
        assert product.id == product_id
        assert last(sandbox_state, f"/Inventory/{product_id}")["method"] == "GET"

    async def test_get_products_by_sku_and_upc(self, ecomdash, sandbox_state, account):
        upc = next(
            p["Identifiers"]["UPC"]
            for p in account.products.values()
            if p["Sku"].startswith("ECD-U")
        )
        by_sku = await ecomdash.get_products("sku", [SKU, "NOPE"])
        entry = last(sandbox_state, "/inventory/getProducts")
        assert entry["method"] == "POST"
        assert entry["headers"]["content-type"] == "application/json"
        assert entry["body"] == {"idType": "sku", "idList": [SKU, "NOPE"]}
        by_upc = await ecomdash.get_products("upc", [upc])
        assert [p.sku for p in by_sku] == [SKU]
        assert by_upc[0].upc == upc
        assert by_upc[0].warehouses[0].warehouse_id == 4865

    async def test_create_product_with_the_documented_body(self, ecomdash, sandbox_state):
        product = Product(
            sku="NEW-1",
            name="New thing",
            type="Product",
            quantity_on_hand=Decimal(5),
            identifiers={"upc": "036000291452"},
            global_listing_attributes={"price": Decimal("8.39"), "condition": "New"},
        )
        created = await ecomdash.create_product(product)

        body = last(sandbox_state, "/Inventory")["body"]
        assert body["Sku"] == "NEW-1"
        assert body["Name"] == "New thing"
        assert body["Identifiers"] == {"UPC": "036000291452"}
        assert body["GlobalListingAttributes"] == {"Price": 8.39, "Condition": "New"}
        assert created.id is not None
        assert created.quantity_on_hand == 5

    async def test_duplicate_sku_is_refused(self, ecomdash):
        with pytest.raises(BadRequestError, match="already exists"):
            await ecomdash.create_product(Product(sku=SKU, name="dup"))

    async def test_update_product_sends_the_full_object_with_id(self, ecomdash, sandbox_state):
        [found] = await ecomdash.get_products("sku", [SKU])
        product = await ecomdash.get_product(found.id)
        product.global_listing_attributes.price = Decimal("12.34")
        await ecomdash.update_product(product)

        entry = last(sandbox_state, "/Inventory")
        assert entry["method"] == "PUT"
        assert entry["body"]["Id"] == found.id
        assert entry["body"]["GlobalListingAttributes"]["Price"] == 12.34
        assert (await ecomdash.get_product(found.id)).global_listing_attributes.price == Decimal(
            "12.34"
        )

    async def test_update_quantity_on_hand_is_absolute_with_partial_success(
        self, ecomdash, sandbox_state, account
    ):
        outcomes = await ecomdash.update_quantities(
            [
                QuantityUpdate(sku=SKU, quantity=Decimal(17), warehouse_id=4865),
                QuantityUpdate(sku="aabbcc", quantity=Decimal(1), warehouse_id=4865),
            ]
        )

        entry = last(sandbox_state, "/inventory/updateQuantityOnHand")
        assert entry["method"] == "POST"
        assert entry["body"] == [
            {"Sku": SKU, "Quantity": 17, "WarehouseId": 4865},
            {"Sku": "aabbcc", "Quantity": 1, "WarehouseId": 4865},
        ]
        assert [o.ok for o in outcomes] == [True, False]
        assert outcomes[1].message == "No active products with SKU 'aabbcc' were found."
        assert account.active_by_sku(SKU)["QuantityOnHand"] == 17


class TestReferenceData:
    async def test_warehouses_and_carriers(self, ecomdash, sandbox_state):
        warehouses = [w async for w in ecomdash.iter_warehouses()]
        carriers = [c async for c in ecomdash.iter_carriers()]
        assert [w.id for w in warehouses] == [4865, 3272]
        assert {c.name for c in carriers} >= {"UPS"}
        assert last(sandbox_state, "/Warehouses")["method"] == "GET"
        assert last(sandbox_state, "/Carriers")["method"] == "GET"


class TestOrdersAndShipments:
    async def test_get_orders_body_and_status_filter(self, ecomdash, sandbox_state):
        today = date.today()
        orders = [
            o
            async for o in ecomdash.iter_orders(
                status="InProcess",
                from_date=today - timedelta(days=7),
                to_date=today,
                page_size=10,
            )
        ]

        entry = last(sandbox_state, "/orders/getOrders")
        assert entry["method"] == "POST"
        assert entry["body"]["Status"] == "InProcess"
        assert entry["body"]["DateType"] == "CreatedDate"
        assert entry["body"]["FromDate"] == (today - timedelta(days=7)).isoformat()
        assert entry["body"]["ToDate"] == today.isoformat()
        assert set(entry["body"]["Pagination"]) == {"PageNumber", "ResultsPerPage"}
        assert orders
        assert all(o.status == "InProcess" for o in orders)
        assert all(o.created_date.date() >= today - timedelta(days=8) for o in orders)
        assert len({o.ecomdash_id for o in orders}) == len(orders)

    async def test_line_items_shipments_and_tracking(self, ecomdash, sandbox_state):
        today = date.today()
        order = await anext(
            ecomdash.iter_orders(
                status="InProcess", from_date=today - timedelta(days=30), to_date=today
            )
        )
        lines = await ecomdash.get_order_line_items(order.ecomdash_id)
        assert lines
        assert all(line.sales_order_id == order.ecomdash_id for line in lines)

        [shipment] = await ecomdash.create_shipment(order.ecomdash_id)
        assert last(sandbox_state, "/Shipments/Create")["body"] == {"OrderId": order.ecomdash_id}
        assert {i.order_line_item_id for i in shipment.items} == {
            line.order_line_item_id for line in lines
        }

        await ecomdash.submit_tracking(
            [
                TrackingInfo(
                    shipment_id=shipment.id,
                    carrier_id=42222,
                    tracking_number="1Z999",
                )
            ]
        )
        tracking = last(sandbox_state, "/Shipments/submitTrackingInfo")["body"]
        assert tracking == [
            {"ShipmentId": shipment.id, "CarrierId": 42222, "TrackingNumber": "1Z999"}
        ]
        [shipped] = await ecomdash.get_order_shipments(order.ecomdash_id)
        assert shipped.status == "Shipped"
        assert all(i.is_shipped and i.tracking_number == "1Z999" for i in shipped.items)

    async def test_tracking_for_an_unknown_shipment_fails(self, ecomdash):
        with pytest.raises(BadRequestError, match="was not found"):
            await ecomdash.submit_tracking([TrackingInfo(shipment_id=1, tracking_number="X")])


class TestGatewayBehaviour:
    async def test_paths_are_case_insensitive_and_slashes_collapse(self, sandbox_app):
        headers = REQUIRED_HEADERS
        transport = httpx.ASGITransport(app=sandbox_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
            upper = await client.get("/API/INVENTORY?PAGENUMBER=1", headers=headers)
            doubled = await client.get("/api//warehouses", headers=headers)
        assert upper.status_code == 200
        assert upper.json()["pagination"]["CurrentPage"] == 1
        assert doubled.status_code == 200

    async def test_a_body_that_is_not_json_is_400_with_a_message(self, sandbox_app):
        transport = httpx.ASGITransport(app=sandbox_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
            response = await client.post(
                "/api/Inventory",
                content=b"{'Sku': 'python repr'}",
                headers=REQUIRED_HEADERS | {"Content-Type": "application/json"},
            )
        assert response.status_code == 400
        assert response.json() == {"Message": "The request is invalid."}

    async def test_an_unknown_product_id_is_a_bad_request_with_the_message(self, ecomdash):
        with pytest.raises(BadRequestError, match="Product with ID of 999 does not exist") as info:
            await ecomdash.get_product(999)
        assert info.value.status_code == 404
