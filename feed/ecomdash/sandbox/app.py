"""The sandbox's routes: the ecomdash endpoints the client uses, plus ``/_sandbox`` controls."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from feed.ecomdash.sandbox.faults import DroppedConnection, Faults
from feed.ecomdash.sandbox.gateway import Gateway
from feed.ecomdash.sandbox.integrated import pull
from feed.ecomdash.sandbox.state import Account, SandboxState

logger = logging.getLogger(__name__)
api = APIRouter(prefix="/api")
admin = APIRouter(prefix="/_sandbox", tags=["sandbox"])
MAX_PAGE = 200
FIRST_PULL_DELAY = 2.0


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


class IntegratedImport(BaseModel):
    url: str
    interval_seconds: float | None = Field(default=None, gt=0)


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def _admin_account(request: Request, ecd_key: str) -> Account:
    account = _state(request).accounts.get(ecd_key)
    if account is None:
        raise EcomdashHTTPError(404, "no such account")
    return account


@admin.put("/accounts/{ecd_key}/faults")
def set_faults(ecd_key: str, faults: Faults, request: Request) -> Faults:
    _admin_account(request, ecd_key).set_faults(faults)
    return faults


@admin.get("/accounts/{ecd_key}/products")
def account_products(ecd_key: str, request: Request) -> Any:
    return list(_admin_account(request, ecd_key).products.values())


@admin.post("/accounts/{ecd_key}/integrated-import")
async def integrated_import(ecd_key: str, body: IntegratedImport, request: Request) -> Any:
    """Paste a feed link as a merchant does, and pull it now (and every interval, if set)."""
    account = _admin_account(request, ecd_key)
    account.feed_url, account.feed_interval = body.url, body.interval_seconds
    result, _ = await pull(account, request.app.state.fetch_feed)
    return result


class AckFailures(BaseModel):
    count: int = Field(ge=0)
    status: int = Field(default=503, ge=400, le=599)


@admin.post("/acks/{receiver}")
async def receive_ack(receiver: str, request: Request) -> JSONResponse:
    """A receiver for order acknowledgements (not part of ecomdash), for tests and the demo."""
    state = _state(request)
    remaining, status = state.ack_failures.get(receiver, (0, 503))
    if remaining:
        state.ack_failures[receiver] = (remaining - 1, status)
        return JSONResponse({"Message": "receiver unavailable"}, status)
    state.acks.setdefault(receiver, []).append(
        {"idempotency_key": request.headers.get("idempotency-key"), "body": await request.json()}
    )
    return JSONResponse({"received": True})


@admin.get("/acks/{receiver}")
def received_acks(receiver: str, request: Request) -> Any:
    return _state(request).acks.get(receiver, [])


@admin.put("/acks/{receiver}/failures")
def fail_acks(receiver: str, body: AckFailures, request: Request) -> AckFailures:
    """The receiver's next ``count`` acknowledgements answer ``status``."""
    _state(request).ack_failures[receiver] = (body.count, body.status)
    return body


@admin.get("/requests")
def logged_requests(request: Request) -> Any:
    return list(_state(request).requests)


def make_fetcher(transport: httpx.AsyncBaseTransport | None = None) -> Any:
    async def fetch(url: str, etag: str | None) -> tuple[int, bytes, str | None]:
        headers = {"User-Agent": "ecomdash-sandbox-import/1.0"}
        if etag:
            headers["If-None-Match"] = etag
        async with httpx.AsyncClient(transport=transport, timeout=60) as client:
            response = await client.get(url, headers=headers)
        return response.status_code, response.content, response.headers.get("etag")

    return fetch


async def poll_feeds(app: FastAPI) -> None:
    """Pulls each account's integrated-import link on its interval, until cancelled."""
    etags: dict[str, str | None] = {}
    last: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    await asyncio.sleep(FIRST_PULL_DELAY)  # let the server that serves the feed start
    while True:
        for key, account in list(app.state.sandbox.accounts.items()):
            if not account.feed_url or not account.feed_interval:
                continue
            if loop.time() - last.get(key, 0.0) < account.feed_interval:
                continue
            last[key] = loop.time()
            try:
                _, etags[key] = await pull(account, app.state.fetch_feed, etags.get(key))
            except Exception:
                logger.exception("sandbox.integrated_import.failed account=%s", account.company_id)
        await asyncio.sleep(0.5)


def create_sandbox_app(
    state: SandboxState, *, feed_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(poll_feeds(app))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app = FastAPI(title="ecomdash sandbox", lifespan=lifespan)
    app.state.sandbox = state
    app.state.fetch_feed = make_fetcher(feed_transport)

    async def ecomdash_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, EcomdashHTTPError)
        return JSONResponse({"Message": exc.message}, exc.status)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"Message": "The request is invalid."}, 400)

    app.add_exception_handler(EcomdashHTTPError, ecomdash_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.include_router(api)
    app.include_router(admin)
    app.add_middleware(Gateway, state=state)  # type: ignore[arg-type]
    return app


class SandboxTransport(httpx.ASGITransport):
    """Routes a client into the sandbox in-process; a dropped connection becomes a read error."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except DroppedConnection as exc:
            raise httpx.ReadError("connection dropped by the sandbox", request=request) from exc
