"""The sandbox's ecomdash endpoints: the paths, envelopes and errors the client relies on."""

import logging
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request

from feed.ecomdash.sandbox.state import Account

logger = logging.getLogger(__name__)
api = APIRouter(prefix="/api")
MAX_PAGE = 200


class EcomdashHTTPError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message


def envelope(
    data: Any,
    messages: list[str] | None = None,
    status: str = "Success",
    pagination: dict[str, int] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "messages": messages or []}
    if pagination is not None:
        body["pagination"] = pagination
    body["data"] = data
    return body


def _account(request: Request) -> Account:
    account: Account = request.state.account
    return account


def _query(request: Request, name: str) -> str | None:
    """ASP.NET binds query parameters case-insensitively."""
    return next((v for k, v in request.query_params.items() if k.lower() == name.lower()), None)


def _int(value: Any, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise EcomdashHTTPError(400, f"The value '{value}' is not valid for {name}.") from None
    return int(number)


def _page(items: list[Any], page: int, per_page: int) -> tuple[list[Any], dict[str, int]]:
    per_page = max(1, min(per_page, MAX_PAGE))
    pages = (len(items) + per_page - 1) // per_page
    chunk = items[(page - 1) * per_page : page * per_page] if page >= 1 else []
    return chunk, {
        "CurrentPage": page,
        "TotalNumberOfEntries": len(items),
        "TotalNumberOfPages": pages,
    }


def _listed(request: Request, items: list[Any]) -> Any:
    """A GET list: ``pageNumber`` / ``resultsPerPage`` (default 25, at most 200)."""
    page, pagination = _page(
        items,
        _int(_query(request, "pageNumber"), 1, "pageNumber"),
        _int(_query(request, "resultsPerPage"), 25, "resultsPerPage"),
    )
    return envelope(page, pagination=pagination)


async def _body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise EcomdashHTTPError(400, "The request is invalid.") from None


@api.get("/inventory")
def list_inventory(request: Request) -> Any:
    items = _account(request).list_products(_query(request, "Sku"), _query(request, "Type"))
    return _listed(request, items)


@api.get("/inventory/{product_id}")
def get_inventory_item(product_id: str, request: Request) -> Any:
    product = _account(request).products.get(_int(product_id, 0, "id"))
    if product is None or not product["IsActive"]:
        raise EcomdashHTTPError(404, f"Product with ID of {product_id} does not exist.")
    return product  # a bare object: this operation has no envelope


@api.post("/inventory/getproducts")
async def get_products(request: Request) -> Any:
    body = await _body(request)
    if (
        not isinstance(body, dict)
        or body.get("idType") not in ("sku", "upc", "id")
        or not isinstance(body.get("idList"), list)
    ):
        raise EcomdashHTTPError(400, "idType (sku|upc) and idList are required.")
    found = _account(request).lookup(body["idType"], body["idList"])
    return envelope(found, [f"Found {len(found)} products."])


def _product_write(product: dict[str, Any] | None, messages: list[str]) -> Any:
    """The answer to a create or update: the product, and whether it worked, in the envelope."""
    ok = product is not None
    return envelope(
        {"Product": product, "WasSuccessful": ok, "Messages": messages},
        status="Success" if ok else "Failure",
    )


@api.post("/inventory")
async def create_product(request: Request) -> Any:
    body = await _body(request)
    if not isinstance(body, dict):
        raise EcomdashHTTPError(400, "The request is invalid.")
    return _product_write(*_account(request).create_product(body))


@api.put("/inventory")
async def update_product(request: Request) -> Any:
    body = await _body(request)
    if not isinstance(body, dict) or "Id" not in body:
        raise EcomdashHTTPError(400, "The request is invalid.")
    return _product_write(*_account(request).update_product(body))


@api.post("/inventory/updatequantityonhand")
async def update_quantity_on_hand(request: Request) -> Any:
    body = await _body(request)
    if not isinstance(body, list):
        raise EcomdashHTTPError(400, "The request is invalid.")
    messages = _account(request).update_quantities(body)
    status = (
        "Success"
        if not messages
        else ("Failure" if len(messages) == len(body) else "Partial Success")
    )
    return {"status": status, "messages": messages}  # ResponseOfString: no data


@api.get("/warehouses")
def list_warehouses(request: Request) -> Any:
    return _listed(request, _account(request).warehouses)


@api.get("/carriers")
def list_carriers(request: Request) -> Any:
    return _listed(request, _account(request).carriers)


@api.post("/orders/getorders")
async def get_orders(request: Request) -> Any:
    body = await _body(request)
    try:
        status = str(body["Status"])
        from_date = date.fromisoformat(str(body["FromDate"])[:10])
        to_date = date.fromisoformat(str(body["ToDate"])[:10])
        paging = body.get("Pagination") or {}
    except (KeyError, TypeError, ValueError):
        raise EcomdashHTTPError(400, "Status, FromDate and ToDate are required.") from None
    if body.get("DateType", "CreatedDate") != "CreatedDate":
        raise EcomdashHTTPError(400, f"DateType '{body.get('DateType')}' is not supported.")
    orders = _account(request).search_orders(status, from_date, to_date)
    page, pagination = _page(
        orders,
        _int(paging.get("PageNumber"), 1, "PageNumber"),
        _int(paging.get("ResultsPerPage"), 25, "ResultsPerPage"),
    )
    return envelope(page, pagination=pagination)


@api.post("/orders/getlineitems")
async def get_line_items(request: Request) -> Any:
    body = await _body(request)
    order_id = _int((body or {}).get("OrderId"), 0, "OrderId")
    account = _account(request)
    if order_id not in account.orders:
        raise EcomdashHTTPError(404, f"Sales order {order_id} does not exist.")
    items = account.line_items.get(order_id, [])
    return envelope(
        items,
        pagination={"CurrentPage": 1, "TotalNumberOfEntries": len(items), "TotalNumberOfPages": 1},
    )


@api.get("/orders/{order_id}/shipments")
def get_order_shipments(order_id: str, request: Request) -> Any:
    account = _account(request)
    oid = _int(order_id, 0, "id")
    shipments = [s for s in account.shipments.values() if s["EcomdashOrderId"] == oid]
    return envelope(
        shipments, [f"Found {len(shipments)} shipments associated with sales order {oid}"]
    )


@api.post("/shipments/create")
async def create_shipment(request: Request) -> Any:
    body = await _body(request)
    order_id = _int((body or {}).get("OrderId"), 0, "OrderId")
    shipment = _account(request).create_shipment(order_id)
    if shipment is None:
        return envelope([], [f"Sales order {order_id} does not exist."], status="Failure")
    return envelope([shipment])


@api.post("/shipments/submittrackinginfo")
async def submit_tracking(request: Request) -> Any:
    body = await _body(request)
    items = body if isinstance(body, list) else [body]
    messages = _account(request).submit_tracking(items)
    return envelope(
        {"WasSuccessful": not messages, "Messages": messages},
        status="Success" if not messages else "Failure",
    )
