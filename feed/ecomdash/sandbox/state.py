"""The sandbox's data: one ecomdash company per ``ecd-subscription-key``, in memory.

Records are kept in wire shape (PascalCase dicts) so the API layer returns them as ecomdash
would. Behaviour the reference marks INFERRED is commented where it is decided.
"""

import itertools
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from feed.ecomdash.sandbox.faults import FaultPlan, Faults, Throttle

DEFAULT_WAREHOUSES = [
    {
        "Id": 4865,
        "Name": "Main Warehouse",
        "IsActive": True,
        "Type": "Standard",
        "IsSystemGenerated": False,
        "AccountNumber": None,
    },
    {
        "Id": 3272,
        "Name": "Dropship - Global",
        "IsActive": True,
        "Type": "Dropship",
        "IsSystemGenerated": False,
        "AccountNumber": "GD-1",
    },
]
DEFAULT_CARRIERS = [
    {"Id": 42222, "Name": "UPS"},
    {"Id": 42226, "Name": "USPS (Endicia)"},
    {"Id": 42230, "Name": "FedEx"},
]


def _key(text: str | None) -> str:
    return (text or "").strip().casefold()


@dataclass
class Account:
    """One ecomdash company."""

    ecd_key: str
    company_id: int
    application_id: str | None = None
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    warehouses: list[dict[str, Any]] = field(
        default_factory=lambda: [dict(w) for w in DEFAULT_WAREHOUSES]
    )
    carriers: list[dict[str, Any]] = field(
        default_factory=lambda: [dict(c) for c in DEFAULT_CARRIERS]
    )
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    line_items: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    shipments: dict[int, dict[str, Any]] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    throttle: Throttle = field(default_factory=Throttle)
    feed_url: str | None = None
    feed_interval: float | None = None
    imports: list[dict[str, Any]] = field(default_factory=list)
    _ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(100001))
    # Lookups by SKU / UPC / id, kept as products are created or renamed.
    _indexes: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.fault_plan = FaultPlan(self.faults)

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self.fault_plan = FaultPlan(faults)

    def next_id(self) -> int:
        return next(self._ids)

    # --- inventory ------------------------------------------------------------------------

    def active_by_sku(self, sku: str) -> dict[str, Any] | None:
        found = self._matches("sku", sku)
        return found[0] if found else None

    def list_products(self, sku: str | None, type_: str | None) -> list[dict[str, Any]]:
        items = [p for p in self.products.values() if p["IsActive"]]
        if sku:
            items = [p for p in items if _key(sku) in _key(p["Sku"])]  # Sku is a contains-match
        if type_:
            items = [p for p in items if p["Type"].casefold() == type_.casefold()]
        return items  # ids only grow, so insertion order is id order

    def _index_add(self, product: dict[str, Any]) -> None:
        values = {
            "sku": product["Sku"],
            "upc": (product["Identifiers"] or {}).get("UPC"),
            "id": str(product["Id"]),
        }
        for kind, value in values.items():
            if value is not None:
                self._indexes.setdefault(kind, {}).setdefault(_key(value), []).append(product["Id"])

    def _reindex(self) -> None:
        self._indexes = {}
        for product in self.products.values():
            self._index_add(product)

    def _matches(self, id_type: str, value: str) -> list[dict[str, Any]]:
        ids = self._indexes.get(id_type, {}).get(_key(value), [])
        return [self.products[i] for i in ids if self.products[i]["IsActive"]]

    def lookup(self, id_type: str, ids: list[Any]) -> list[dict[str, Any]]:
        matched = {p["Id"]: p for i in ids for p in self._matches(id_type, str(i))}
        found = []
        for p in (matched[pid] for pid in sorted(matched)):
            found.append(
                {
                    "Id": float(p["Id"]),
                    "Sku": p["Sku"],
                    "QuantityOnHand": p["QuantityOnHand"],
                    "UPC": (p["Identifiers"] or {}).get("UPC"),
                    "Warehouses": [
                        {
                            "ProductId": float(p["Id"]),
                            "WarehouseId": float(w["WarehouseId"]),
                            "QuantityOnHand": w["QuantityOnHand"],
                            "WarehouseSKU": w["SKU"],
                            "IsActive": w["IsActive"],
                        }
                        for w in p["Warehouses"]
                    ],
                }
            )
        return found

    def create_product(self, body: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
        sku, name = body.get("Sku"), body.get("Name")
        if not isinstance(sku, str) or not sku.strip():
            return None, ["Sku is required."]
        if not isinstance(name, str) or not name.strip():
            return None, ["Name is required."]
        if self.active_by_sku(sku) is not None:
            return None, [f"A product with the SKU '{sku}' already exists."]
        if body.get("IsVariation") and body.get("IsParent"):
            return None, ["IsVariation and IsParent cannot both be true."]
        product_id = self.next_id()
        product = {
            "Id": product_id,
            "CompanyId": self.company_id,
            "Sku": sku.strip(),
            "Name": name,
            "Type": body.get("Type") or "Product",
            "QuantityOnHand": 0,
            "Identifiers": {"ProductId": product_id}
            | {
                k: v
                for k, v in (body.get("Identifiers") or {}).items()
                if k in ("UPC", "EAN", "ISBN", "GTIN") and v
            },
            "IsActive": True,
            "IsAutoSyncEnabled": body.get("IsAutoSyncEnabled", True),
            "IsDiscontinued": bool(body.get("IsDiscontinued", False)),
            "IsDropshipped": bool(body.get("IsDropshipped", False)),
            "IsFireArm": False,
            "IsVariation": bool(body.get("IsVariation", False)),
            "IsParent": bool(body.get("IsParent", False)),
            "GlobalListingAttributes": {"ProductId": product_id}
            | dict(body.get("GlobalListingAttributes") or {}),
            "Images": [
                {"Id": self.next_id(), "ProductId": product_id, **img}
                for img in (body.get("Images") or [])[:12]
                if isinstance(img, dict) and str(img.get("Url", "")).startswith("http")
            ],
            "Warehouses": [],
            "SupplierInformation": body.get("SupplierInformation"),
        }
        quantity = body.get("QuantityOnHand") or 0
        self.products[product_id] = product
        self._index_add(product)
        self._set_quantity(product, self.warehouses[0]["Id"], quantity)
        return product, []

    def update_product(self, body: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
        # ecomdash contract: inferred, see ecomdash-api.md §5.5 — the sandbox applies the
        # fields sent and keeps the rest; the client always sends the full object anyway.
        product = self.products.get(int(body.get("Id") or 0))
        if product is None or not product["IsActive"]:
            return None, [f"Product with ID of {body.get('Id')} does not exist."]
        for key, value in body.items():
            if key in ("Id", "CompanyId", "Warehouses", "QuantityOnHand"):
                continue
            if isinstance(value, dict) and isinstance(product.get(key), dict):
                product[key] = {**product[key], **value}
            else:
                product[key] = value
        if "Sku" in body or "Identifiers" in body:
            self._reindex()
        return product, []

    def _set_quantity(self, product: dict[str, Any], warehouse_id: int, quantity: float) -> None:
        entry = next((w for w in product["Warehouses"] if w["WarehouseId"] == warehouse_id), None)
        if entry is None:
            name = next((w["Name"] for w in self.warehouses if w["Id"] == warehouse_id), None)
            entry = {
                "Id": self.next_id(),
                "ProductId": product["Id"],
                "WarehouseId": warehouse_id,
                "Name": name,
                "QuantityOnHand": 0,
                "SKU": product["Sku"],
                "IsActive": True,
            }
            product["Warehouses"].append(entry)
        entry["QuantityOnHand"] = quantity
        product["QuantityOnHand"] = sum(w["QuantityOnHand"] for w in product["Warehouses"])

    def update_quantities(self, items: list[Any]) -> list[str]:
        """Absolute quantities; returns ``Index i: ...`` messages for the items that failed."""
        messages = []
        warehouse_ids = {w["Id"] for w in self.warehouses}
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("Sku"), str):
                messages.append(f"Index {index}: Sku is required.")
                continue
            product = self.active_by_sku(item["Sku"])
            if product is None:
                messages.append(
                    f"Index {index}: No active products with SKU '{item['Sku']}' were found."
                )
                continue
            if product["Type"] == "Kit":
                messages.append(
                    f"Index {index}: Quantity cannot be set on Kit SKU '{item['Sku']}'."
                )
                continue
            # ecomdash contract: inferred, see ecomdash-api.md §5.6 — without a WarehouseId the
            # company's first warehouse is used.
            warehouse_id = int(item.get("WarehouseId") or self.warehouses[0]["Id"])
            if warehouse_id not in warehouse_ids:
                messages.append(f"Index {index}: Warehouse {warehouse_id} was not found.")
                continue
            try:
                quantity = float(item.get("Quantity"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                messages.append(f"Index {index}: Quantity must be a number.")
                continue
            self._set_quantity(product, warehouse_id, quantity)
        return messages

    # --- orders ---------------------------------------------------------------------------

    def search_orders(self, status: str, from_date: date, to_date: date) -> list[dict[str, Any]]:
        found = []
        for order in sorted(self.orders.values(), key=lambda o: o["EcomdashId"]):
            created = datetime.fromisoformat(order["CreatedDate"]).date()
            if order["Status"].casefold() == status.casefold() and from_date <= created <= to_date:
                found.append(order)
        return found

    def create_shipment(self, order_id: int) -> dict[str, Any] | None:
        order = self.orders.get(order_id)
        if order is None:
            return None
        shipped = {
            item["OrderLineItemId"]
            for s in self.shipments.values()
            if s["EcomdashOrderId"] == order_id
            for item in s["Items"]
            if item["IsShipped"]
        }
        shipment_id = self.next_id()
        shipment = {
            "Id": shipment_id,
            "CompanyId": self.company_id,
            "EcomdashOrderId": order_id,
            "ShipmentNumber": str(len(self.shipments) + 1),
            "Status": "Pending",
            "FulfillmentAction": "Ship",
            "ShippedDate": None,
            "Items": [
                {
                    "Id": self.next_id(),
                    "ShipmentId": shipment_id,
                    "OrderLineItemId": li["OrderLineItemId"],
                    "QuantityShipped": li["QuantitySold"],
                    "IsShipped": False,
                    "TrackingNumber": None,
                    "CompanyCarrier": None,
                    "ProductId": li.get("ProductId"),
                }
                for li in self.line_items.get(order_id, [])
                if li["OrderLineItemId"] not in shipped
            ],
        }
        self.shipments[shipment_id] = shipment
        return shipment

    def submit_tracking(self, items: list[Any]) -> list[str]:
        messages = []
        carriers = {c["Id"]: c for c in self.carriers}
        for index, item in enumerate(items):
            shipment = self.shipments.get(int((item or {}).get("ShipmentId") or 0))
            if shipment is None:
                messages.append(f"Index {index}: Shipment {item.get('ShipmentId')} was not found.")
                continue
            carrier = carriers.get(int(item.get("CarrierId") or 0))
            lines = item.get("LineItems")
            if not lines and not item.get("TrackingNumber"):
                messages.append(f"Index {index}: TrackingNumber is required without LineItems.")
                continue
            # Without LineItems every remaining item of the shipment counts as shipped.
            targets = (
                {int(li["LineItemId"]): li for li in lines}
                if lines
                else {i["Id"]: item for i in shipment["Items"] if not i["IsShipped"]}
            )
            for shipment_item in shipment["Items"]:
                source = targets.get(shipment_item["Id"])
                if source is None:
                    continue
                shipment_item["IsShipped"] = True
                shipment_item["TrackingNumber"] = source.get("TrackingNumber") or item.get(
                    "TrackingNumber"
                )
                shipment_item["CompanyCarrier"] = carrier
            shipment["Status"] = "Shipped"
            shipment["ShippedDate"] = item.get("ShippedDate") or datetime.now(UTC).isoformat()
        return messages


@dataclass
class SandboxState:
    accounts: dict[str, Account] = field(default_factory=dict)
    # APIM portal keys (Ocp-Apim-Subscription-Key); None accepts any non-empty key.
    portal_keys: set[str] | None = None
    requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=2000))
    # The order-acknowledgement receiver (``/_sandbox/acks/{receiver}``), not part of ecomdash.
    acks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ack_failures: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add_account(self, ecd_key: str, *, application_id: str | None = None) -> Account:
        account = Account(
            ecd_key=ecd_key, company_id=17195 + len(self.accounts), application_id=application_id
        )
        self.accounts[ecd_key] = account
        return account
