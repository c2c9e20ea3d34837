"""Loads the sandbox's demo company from ``sample_data/`` (products and recent orders)."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feed.ecomdash.sandbox.state import Account, SandboxState

DEMO_ECD_KEY = "demo-ecd-subscription-key"
DEMO_PORTAL_KEY = "demo-apim-subscription-key"
SAMPLE_DATA = Path(__file__).resolve().parents[3] / "sample_data"


def load_demo(
    state: SandboxState, directory: Path = SAMPLE_DATA, now: datetime | None = None
) -> Account:
    now = now or datetime.now(UTC)
    account = state.accounts.get(DEMO_ECD_KEY) or state.add_account(DEMO_ECD_KEY)
    if state.portal_keys is not None:
        state.portal_keys.add(DEMO_PORTAL_KEY)
    products = json.loads((directory / "ecomdash_products.json").read_text(encoding="utf-8"))
    for body in products:
        product, messages = account.create_product(body)
        if product is None:
            raise ValueError(f"bad sandbox seed product {body.get('Sku')}: {messages}")
    for seed in json.loads((directory / "ecomdash_orders.json").read_text(encoding="utf-8")):
        order_id = account.next_id()
        created = now - timedelta(days=seed["CreatedDaysAgo"], hours=1)
        lines = []
        for line in seed["LineItems"]:
            product = account.active_by_sku(line["SkuNumber"])
            lines.append(
                {
                    "OrderLineItemId": account.next_id(),
                    "SalesOrderId": order_id,
                    "ProductId": product["Id"] if product else None,
                    "QuantitySold": line["QuantitySold"],
                    "UnitPrice": line["UnitPrice"],
                    "LineItemTotal": round(line["QuantitySold"] * line["UnitPrice"], 2),
                    "SkuNumber": line["SkuNumber"],
                    "ProductName": line["ProductName"],
                    "SoldAsName": line["ProductName"],
                    "WarehouseId": account.warehouses[0]["Id"],
                    "WarehouseName": account.warehouses[0]["Name"],
                }
            )
        account.orders[order_id] = {
            "EcomdashId": order_id,
            "StorefrontOrderNumber": seed["StorefrontOrderNumber"],
            "StorefrontType": seed["StorefrontType"],
            "StorefrontId": seed["StorefrontId"],
            "Status": seed["Status"],
            "CreatedDate": created.replace(tzinfo=None).isoformat(timespec="seconds"),
            "TotalAmount": round(sum(li["LineItemTotal"] for li in lines), 2),
            # ecomdash contract: inferred, see ecomdash-api.md §5.1 (field name unknown)
            "ShippingMethod": seed["ShippingMethod"],
            "ShipToContact": seed["ShipToContact"],
        }
        account.line_items[order_id] = lines
    return account
