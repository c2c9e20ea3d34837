"""Wire models for the ecomdash API (PascalCase on the wire, snake_case in Python).

Ids arrive as JSON numbers that are often decimals (``2019007911.0``); ``EcomdashId`` turns
them into ints once, here at the edge, so they are never compared as strings.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _to_int(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float | Decimal):
        if value != int(value):
            raise ValueError(f"id {value} is not a whole number")
        return int(value)
    if isinstance(value, str) and value.strip():
        number = Decimal(value.strip())
        if number != number.to_integral_value():
            raise ValueError(f"id {value!r} is not a whole number")
        return int(number)
    return value


EcomdashId = Annotated[int, BeforeValidator(_to_int)]


class Wire(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True, extra="allow", alias_generator=lambda n: _pascal(n)
    )

    def wire(self) -> dict[str, Any]:
        """The JSON body ecomdash expects: decimals as JSON numbers, not strings."""
        data: dict[str, Any] = _numbers(self.model_dump(by_alias=True, exclude_none=True))
        return data


def _numbers(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


def _pascal(name: str) -> str:
    special = {
        "mime_type": "MIMEType",
        "upc": "UPC",
        "ean": "EAN",
        "isbn": "ISBN",
        "gtin": "GTIN",
        "sku": "Sku",
        "warehouse_sku": "WarehouseSKU",
    }
    if name in special:
        return special[name]
    return "".join(part.capitalize() for part in name.split("_"))


class Pagination(Wire):
    current_page: int = 1
    total_number_of_entries: int = 0
    total_number_of_pages: int = 0


class Identifiers(Wire):
    product_id: EcomdashId | None = None
    upc: str | None = None
    ean: str | None = None
    isbn: str | None = None
    gtin: str | None = None


class GlobalListingAttributes(Wire):
    product_id: EcomdashId | None = None
    sold_as_name: str | None = None
    short_description: str | None = None
    long_description: str | None = None
    price: Decimal | None = None
    condition: str | None = None


class Image(Wire):
    id: EcomdashId | None = None
    product_id: EcomdashId | None = None
    mime_type: str | None = None
    url: str | None = None
    display_order: int | None = None


class ProductWarehouse(Wire):
    id: EcomdashId | None = None
    product_id: EcomdashId | None = None
    warehouse_id: EcomdashId
    name: str | None = None
    quantity_on_hand: Decimal | None = None
    sku: str | None = Field(default=None, alias="SKU")
    is_active: bool | None = None


class SupplierInformation(Wire):
    supplier_id: EcomdashId | None = None
    name: str | None = None
    sku: str | None = Field(default=None, alias="SKU")
    price: Decimal | None = None


class Product(Wire):
    """An inventory item (``GET /Inventory``, ``GET /Inventory/{id}``, create/update)."""

    id: EcomdashId | None = None
    company_id: EcomdashId | None = None
    sku: str
    name: str | None = None
    type: Literal["Product", "Kit", "Built"] | None = None
    quantity_on_hand: Decimal | None = None
    identifiers: Identifiers | None = None
    is_active: bool | None = None
    is_auto_sync_enabled: bool | None = None
    is_discontinued: bool | None = None
    is_dropshipped: bool | None = None
    global_listing_attributes: GlobalListingAttributes | None = None
    images: list[Image] | None = None
    warehouses: list[ProductWarehouse] | None = None
    supplier_information: SupplierInformation | None = None


class LookupWarehouse(Wire):
    product_id: EcomdashId | None = None
    warehouse_id: EcomdashId
    quantity_on_hand: Decimal | None = None
    warehouse_sku: str | None = None
    is_active: bool | None = None


class ProductLookup(Wire):
    """The slim item ``POST /inventory/getProducts`` returns (``UPC`` at top level)."""

    id: EcomdashId
    sku: str
    quantity_on_hand: Decimal | None = None
    upc: str | None = None
    warehouses: list[LookupWarehouse] = []


class QuantityUpdate(Wire):
    """An absolute on-hand quantity for one SKU in one warehouse."""

    sku: str
    quantity: Decimal
    warehouse_id: EcomdashId | None = None


class ItemOutcome(BaseModel):
    """One item of a batch write: ok, or the message ecomdash gave for its index."""

    index: int
    ok: bool
    message: str | None = None


class Warehouse(Wire):
    id: EcomdashId
    name: str | None = None
    is_active: bool | None = None
    type: str | None = None
    is_system_generated: bool | None = None


class Carrier(Wire):
    id: EcomdashId
    name: str | None = None


class Address(Wire):
    street1: str | None = None
    street2: str | None = None
    street3: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    zip_code: str | None = None
    is_residential: bool | None = None


class Contact(Wire):
    full_name: str | None = None
    company_name: str | None = None
    email_address: str | None = None
    phone: str | None = None
    address: Address | None = None


class OrderLineItem(Wire):
    order_line_item_id: EcomdashId
    sales_order_id: EcomdashId | None = None
    product_id: EcomdashId | None = None
    quantity_sold: Decimal
    unit_price: Decimal | None = None
    line_item_total: Decimal | None = None
    sku_number: str | None = None
    product_name: str | None = None
    warehouse_id: EcomdashId | None = None


class Order(Wire):
    """A sales order from ``POST /orders/getOrders``. Only ``EcomdashId``,
    ``StorefrontOrderNumber`` and ``StorefrontType`` are confirmed by the reference."""

    ecomdash_id: EcomdashId
    storefront_order_number: str | None = None
    storefront_type: str | None = None
    storefront_id: EcomdashId | None = None
    status: str | None = None
    created_date: datetime | None = None
    total_amount: Decimal | None = None
    ship_to_contact: Contact | None = None
    # ecomdash contract: inferred, see ecomdash-api.md §5.1 (shipping method field unknown)
    shipping_method: str | None = None
    line_items: list[OrderLineItem] | None = None


class OrderSearch(Wire):
    status: str
    date_type: str = "CreatedDate"
    from_date: date
    to_date: date
    pagination: dict[str, int]


class ShipmentItem(Wire):
    id: EcomdashId
    shipment_id: EcomdashId | None = None
    order_line_item_id: EcomdashId | None = None
    quantity_shipped: Decimal | None = None
    is_shipped: bool | None = None
    tracking_number: str | None = None


class Shipment(Wire):
    id: EcomdashId
    ecomdash_order_id: EcomdashId | None = None
    status: str | None = None
    shipped_date: datetime | None = None
    items: list[ShipmentItem] = []


class TrackingLine(Wire):
    line_item_id: EcomdashId
    carrier_id: EcomdashId | None = None
    tracking_number: str | None = None


class TrackingInfo(Wire):
    shipment_id: EcomdashId
    carrier_id: EcomdashId | None = None
    tracking_number: str | None = None
    shipped_date: datetime | None = None
    estimated_delivery_date: datetime | None = None
    line_items: list[TrackingLine] | None = None
