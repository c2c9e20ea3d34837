"""EcomdashClient: one short method per ecomdash endpoint, on top of the wire layer.

Batch writes return per-item outcomes instead of raising on ``Partial Success``.
"""

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import date
from typing import Any

from feed.ecomdash.errors import EcomdashError, TransportError
from feed.ecomdash.models import (
    Carrier,
    ItemOutcome,
    Order,
    OrderLineItem,
    Pagination,
    Product,
    ProductLookup,
    QuantityUpdate,
    Shipment,
    TrackingInfo,
    Warehouse,
)
from feed.ecomdash.transport import (
    DEFAULT_TIMEOUT,
    ITEM_MESSAGE,
    MAX_PAGE_SIZE,
    CallObserver,
    EcomdashTransport,
    parse_model,
    task_calls,
)

LOOKUP_BATCH_SIZE = 100

# ecomdash contract: inferred, see ecomdash-api.md §1b #14/#15 — the portal shows these
# operations but not their paths; these follow the naming of the confirmed order calls.
LINE_ITEMS_PATH = "orders/getLineItems"
ORDER_SHIPMENTS_PATH = "orders/{order_id}/shipments"


def _batches(items: Sequence[Any], size: int) -> Iterable[tuple[int, Sequence[Any]]]:
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


class EcomdashClient(EcomdashTransport):
    # --- inventory ------------------------------------------------------------------------

    async def iter_products(
        self,
        *,
        page_size: int = MAX_PAGE_SIZE,
        sku: str | None = None,
        type: str | None = None,
        include: Sequence[str] = (),
    ) -> AsyncIterator[Product]:
        params: dict[str, Any] = {}
        if sku:
            params["Sku"] = sku  # a contains-match, not exact
        if type:
            params["Type"] = type
        if include:
            params["include"] = ",".join(include)  # ecomdash contract: inferred name, §1a #1
        async for item in self._pages("Inventory", page_size=page_size, params=params):
            yield parse_model(Product, item, "GET", "Inventory")

    async def count_products(self) -> int:
        """How many active products the account has (one call, one result)."""
        body = await self._call("GET", "Inventory", params={"pageNumber": 1, "resultsPerPage": 1})
        pagination = parse_model(Pagination, body.get("pagination") or {}, "GET", "Inventory")
        return pagination.total_number_of_entries

    async def get_product(self, product_id: int) -> Product:
        body = await self._call("GET", f"Inventory/{product_id}")
        return parse_model(Product, body, "GET", "Inventory/{id}")  # a bare object, no envelope

    async def get_products(self, id_type: str, ids: Sequence[str]) -> list[ProductLookup]:
        """Bulk lookup by ``sku`` or ``upc`` (the link-listings call)."""
        if id_type not in ("sku", "upc", "id"):
            raise ValueError(f"idType must be sku, upc or id, not {id_type!r}")
        found: list[ProductLookup] = []
        for _, batch in _batches(ids, LOOKUP_BATCH_SIZE):
            body = await self._call(
                "POST", "inventory/getProducts", json={"idType": id_type, "idList": list(batch)}
            )
            found += [
                parse_model(ProductLookup, i, "POST", "getProducts") for i in body.get("data") or []
            ]
        return found

    async def create_product(self, product: Product | dict[str, Any]) -> Product:
        payload = product.wire() if isinstance(product, Product) else product
        body = await self._call("POST", "Inventory", json=payload, idempotent=False)
        return parse_model(Product, (body.get("data") or {}).get("Product"), "POST", "Inventory")

    async def update_product(self, product: Product) -> Any:
        """``PUT /Inventory`` with the full product (read-modify-write; see §5.5)."""
        return await self._call("PUT", "Inventory", json=product.wire())

    async def update_quantities(self, updates: Sequence[QuantityUpdate]) -> list[ItemOutcome]:
        """Absolute on-hand quantities; one outcome per update, in input order."""
        outcomes: list[ItemOutcome] = []
        for start, batch in _batches(updates, self.quantity_batch_size):
            body = await self._call(
                "POST",
                "inventory/updateQuantityOnHand",
                json=[u.wire() for u in batch],
                allow_partial=True,
            )
            failed: dict[int, str] = {}
            for message in body.get("messages") or []:
                if m := ITEM_MESSAGE.match(str(message)):
                    failed[int(m.group(1))] = m.group(2)
            outcomes += [
                ItemOutcome(index=start + i, ok=i not in failed, message=failed.get(i))
                for i in range(len(batch))
            ]
        return outcomes

    async def iter_warehouses(self) -> AsyncIterator[Warehouse]:
        async for item in self._pages("Warehouses", page_size=MAX_PAGE_SIZE):
            yield parse_model(Warehouse, item, "GET", "Warehouses")

    async def iter_carriers(self) -> AsyncIterator[Carrier]:
        # ecomdash contract: inferred, see ecomdash-api.md §1c #21 (shape not documented)
        async for item in self._pages("Carriers", page_size=MAX_PAGE_SIZE):
            yield parse_model(Carrier, item, "GET", "Carriers")

    # --- orders and shipments -------------------------------------------------------------

    async def iter_orders(
        self,
        *,
        status: str,
        from_date: date,
        to_date: date,
        date_type: str = "CreatedDate",
        page_size: int = MAX_PAGE_SIZE,
    ) -> AsyncIterator[Order]:
        page = 1
        while True:
            search = _order_search(status, date_type, from_date, to_date, page, page_size)
            body = await self._call("POST", "orders/getOrders", json=search)
            items = body.get("data") or []
            for item in items:
                yield parse_model(Order, item, "POST", "orders/getOrders")
            pagination = parse_model(Pagination, body.get("pagination") or {}, "POST", "getOrders")
            if not items or pagination.current_page >= pagination.total_number_of_pages:
                return
            if pagination.current_page != page:
                raise TransportError(
                    f"asked for page {page}, got {pagination.current_page}",
                    method="POST",
                    path="orders/getOrders",
                )
            page += 1

    async def count_orders(
        self, *, status: str, from_date: date, to_date: date, date_type: str = "CreatedDate"
    ) -> int:
        """How many orders a search matches (one call, one result)."""
        search = _order_search(status, date_type, from_date, to_date, 1, 1)
        body = await self._call("POST", "orders/getOrders", json=search)
        pagination = parse_model(Pagination, body.get("pagination") or {}, "POST", "getOrders")
        return pagination.total_number_of_entries

    async def get_order_line_items(self, order_id: int) -> list[OrderLineItem]:
        body = await self._call("POST", LINE_ITEMS_PATH, json={"OrderId": order_id})
        return [
            parse_model(OrderLineItem, i, "POST", LINE_ITEMS_PATH) for i in body.get("data") or []
        ]

    async def get_order_shipments(self, order_id: int) -> list[Shipment]:
        path = ORDER_SHIPMENTS_PATH.format(order_id=order_id)
        body = await self._call("GET", path)
        return [parse_model(Shipment, s, "GET", path) for s in body.get("data") or []]

    async def create_shipment(self, order_id: int) -> list[Shipment]:
        body = await self._call(
            "POST", "Shipments/Create", json={"OrderId": order_id}, idempotent=False
        )
        return [
            parse_model(Shipment, s, "POST", "Shipments/Create") for s in body.get("data") or []
        ]

    async def submit_tracking(self, items: Sequence[TrackingInfo]) -> Any:
        # The portal documents an array of items (C-ECD once sent one object), §1c #18.
        return await self._call(
            "POST",
            "Shipments/submitTrackingInfo",
            json=[i.wire() for i in items],
            idempotent=False,
        )


def _order_search(
    status: str, date_type: str, from_date: date, to_date: date, page: int, page_size: int
) -> dict[str, Any]:
    """The getOrders body as integrators send it (ecomdash-api.md §1b #12)."""
    return {
        "Status": status,
        "DateType": date_type,
        "FromDate": from_date.isoformat(),
        "ToDate": to_date.isoformat(),
        "Pagination": {"PageNumber": page, "ResultsPerPage": min(page_size, MAX_PAGE_SIZE)},
    }


__all__ = [
    "DEFAULT_TIMEOUT",
    "LOOKUP_BATCH_SIZE",
    "MAX_PAGE_SIZE",
    "CallObserver",
    "EcomdashClient",
    "EcomdashError",
    "task_calls",
]
