"""EcomdashClient: one ``httpx.AsyncClient`` per account, one short method per endpoint.

Every response goes through ``_unwrap``, which maps HTTP errors to the ``EcomdashError``
family and treats an HTTP 200 whose envelope says ``Failure`` as a failure. Batch writes return
per-item outcomes instead of raising on ``Partial Success``.
"""

import contextvars
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import date
from typing import Any, Protocol, TypeVar

import httpx
import orjson
import stamina
from pydantic import BaseModel, ValidationError

from feed.ecomdash.errors import (
    AuthenticationError,
    BadRequestError,
    EcomdashError,
    RateLimitError,
    ServerError,
    TransportError,
)
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
from feed.ecomdash.retry import (
    MAX_ATTEMPTS,
    RETRY_TIMEOUT,
    WAIT_INITIAL,
    WAIT_MAX,
    AccountLimiter,
    backoff_hook,
    parse_retry_after,
)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_PAGE_SIZE = 200  # GET lists and getOrders accept at most 200 results per page
QUANTITY_BATCH_SIZE = 25  # integrators send 25 per call; no maximum is documented
LOOKUP_BATCH_SIZE = 100

# ecomdash contract: inferred, see ecomdash-api.md §1b #14/#15 — the portal shows these
# operations but not their paths; these follow the naming of the confirmed order calls.
LINE_ITEMS_PATH = "orders/getLineItems"
ORDER_SHIPMENTS_PATH = "orders/{order_id}/shipments"

_ID_SEGMENT = re.compile(r"/\d+")
_INDEX = re.compile(r"^\s*Index\s+(\d+)\s*:\s*(.*)$", re.IGNORECASE)
M = TypeVar("M", bound=BaseModel)
# Calls made by the current task (a run), apart from other runs sharing the same client.
task_calls: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "ecomdash_task_calls", default=None
)


class CallObserver(Protocol):
    """Told about every call and retry (the service counts them for /metrics)."""

    def call(self, operation: str, outcome: str) -> None: ...

    def retry(self, operation: str) -> None: ...


def _parse(model: type[M], data: Any, method: str, path: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise TransportError(f"unexpected response shape: {exc}", method=method, path=path) from exc


def _batches(items: Sequence[Any], size: int) -> Iterable[tuple[int, Sequence[Any]]]:
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


class EcomdashClient:
    def __init__(
        self,
        *,
        base_url: str,
        ecd_subscription_key: str,
        apim_subscription_key: str | None = None,
        application_id: str | None = None,
        limiter: AccountLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_attempts: int = MAX_ATTEMPTS,
        quantity_batch_size: int = QUANTITY_BATCH_SIZE,
        observer: "CallObserver | None" = None,
    ) -> None:
        headers = {"ecd-subscription-key": ecd_subscription_key, "Accept": "application/json"}
        if apim_subscription_key:
            headers["Ocp-Apim-Subscription-Key"] = apim_subscription_key
        if application_id:
            headers["application-id"] = application_id
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers=headers,
            timeout=timeout,
            transport=transport,
            limits=httpx.Limits(max_connections=10, max_keepalive_connections=5),
        )
        self.limiter = limiter or AccountLimiter()
        self.max_attempts = max_attempts
        self.quantity_batch_size = quantity_batch_size
        self.calls = 0
        self.observer = observer
        # Other calls a run makes (order acknowledgements) take the same network path.
        self.transport = transport

    async def __aenter__(self) -> "EcomdashClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- transport ------------------------------------------------------------------------

    async def _send(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> httpx.Response:
        content = orjson.dumps(json) if json is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        # APIM counts concurrency per operation: one endpoint, whatever its ids.
        operation = f"{method} {_ID_SEGMENT.sub('/{id}', '/' + path.lower())}"
        async with self.limiter.slot(operation):
            self.calls += 1
            if (counter := task_calls.get()) is not None:
                counter[0] += 1
            try:
                response = await self._http.request(
                    method, path, content=content, params=params, headers=headers
                )
            except httpx.TimeoutException as exc:
                self._observe(operation, "timeout")
                raise TransportError("timed out", method=method, path=path) from exc
            except httpx.TransportError as exc:
                self._observe(operation, "transport_error")
                raise TransportError(
                    f"connection failed: {exc!r}", method=method, path=path
                ) from exc
            self._observe(operation, str(response.status_code))
            return response

    def _observe(self, operation: str, outcome: str) -> None:
        if self.observer is not None:
            self.observer.call(operation, outcome)

    def _unwrap(self, response: httpx.Response, *, allow_partial: bool = False) -> Any:
        method, path = response.request.method, response.request.url.path
        status = response.status_code
        evidence = {"method": method, "path": path, "status_code": status, "response": response}
        if status == 429:
            raise RateLimitError(
                _message(response) or "rate limit exceeded",
                retry_after=parse_retry_after(response),
                **evidence,
            )
        if status in (401, 403):
            raise AuthenticationError(_message(response) or "not authorised", **evidence)
        if status >= 500:
            raise ServerError(_message(response) or "server error", **evidence)
        if status >= 400:
            raise BadRequestError(_message(response) or f"HTTP {status}", **evidence)
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise TransportError("response is not valid JSON", **evidence) from exc
        if isinstance(body, dict) and isinstance(body.get("status"), str):
            messages = [str(m) for m in body.get("messages") or []]
            data = body.get("data")
            if not messages and isinstance(data, dict):
                messages = [str(m) for m in data.get("Messages") or []]
            if body["status"] == "Failure" and not (
                allow_partial and any(_INDEX.match(m) for m in messages)
            ):
                raise BadRequestError(
                    "; ".join(messages) or "request failed", messages=messages, **evidence
                )
            if isinstance(data, dict) and data.get("WasSuccessful") is False:
                inner = [str(m) for m in data.get("Messages") or []]
                raise BadRequestError(
                    "; ".join(inner) or "request was not successful", messages=inner, **evidence
                )
        return body

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool = True,
        allow_partial: bool = False,
    ) -> Any:
        retrying = stamina.retry_context(
            on=backoff_hook(idempotent),
            attempts=self.max_attempts,
            timeout=RETRY_TIMEOUT,
            wait_initial=WAIT_INITIAL,
            wait_max=WAIT_MAX,
        )
        async for attempt in retrying:
            if attempt.num > 1 and self.observer is not None:
                self.observer.retry(f"{method} {_ID_SEGMENT.sub('/{id}', '/' + path.lower())}")
            with attempt:
                response = await self._send(method, path, json=json, params=params)
                return self._unwrap(response, allow_partial=allow_partial)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _pages(
        self, path: str, *, page_size: int, params: dict[str, Any] | None = None
    ) -> AsyncIterator[Any]:
        """Items of a GET list across ``pageNumber`` pages, until the last or an empty one."""
        page = 1
        while True:
            query = {
                **(params or {}),
                "pageNumber": page,
                "resultsPerPage": min(page_size, MAX_PAGE_SIZE),
            }
            body = await self._call("GET", path, params=query)
            items = body.get("data") or []
            for item in items:
                yield item
            pagination = _parse(Pagination, body.get("pagination") or {}, "GET", path)
            if not items or pagination.current_page >= pagination.total_number_of_pages:
                return
            if pagination.current_page != page:
                raise TransportError(
                    f"asked for page {page}, got {pagination.current_page}", method="GET", path=path
                )
            page += 1

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
            yield _parse(Product, item, "GET", "Inventory")

    async def count_products(self) -> int:
        """How many active products the account has (one call, one result)."""
        body = await self._call("GET", "Inventory", params={"pageNumber": 1, "resultsPerPage": 1})
        pagination = _parse(Pagination, body.get("pagination") or {}, "GET", "Inventory")
        return pagination.total_number_of_entries

    async def get_product(self, product_id: int) -> Product:
        body = await self._call("GET", f"Inventory/{product_id}")
        return _parse(Product, body, "GET", "Inventory/{id}")  # a bare object, no envelope

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
                _parse(ProductLookup, i, "POST", "getProducts") for i in body.get("data") or []
            ]
        return found

    async def create_product(self, product: Product | dict[str, Any]) -> Product:
        payload = product.wire() if isinstance(product, Product) else product
        body = await self._call("POST", "Inventory", json=payload, idempotent=False)
        return _parse(Product, (body.get("data") or {}).get("Product"), "POST", "Inventory")

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
                if m := _INDEX.match(str(message)):
                    failed[int(m.group(1))] = m.group(2)
            outcomes += [
                ItemOutcome(index=start + i, ok=i not in failed, message=failed.get(i))
                for i in range(len(batch))
            ]
        return outcomes

    async def iter_warehouses(self) -> AsyncIterator[Warehouse]:
        async for item in self._pages("Warehouses", page_size=MAX_PAGE_SIZE):
            yield _parse(Warehouse, item, "GET", "Warehouses")

    async def iter_carriers(self) -> AsyncIterator[Carrier]:
        # ecomdash contract: inferred, see ecomdash-api.md §1c #21 (shape not documented)
        async for item in self._pages("Carriers", page_size=MAX_PAGE_SIZE):
            yield _parse(Carrier, item, "GET", "Carriers")

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
                yield _parse(Order, item, "POST", "orders/getOrders")
            pagination = _parse(Pagination, body.get("pagination") or {}, "POST", "getOrders")
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
        pagination = _parse(Pagination, body.get("pagination") or {}, "POST", "getOrders")
        return pagination.total_number_of_entries

    async def get_order_line_items(self, order_id: int) -> list[OrderLineItem]:
        body = await self._call("POST", LINE_ITEMS_PATH, json={"OrderId": order_id})
        return [_parse(OrderLineItem, i, "POST", LINE_ITEMS_PATH) for i in body.get("data") or []]

    async def get_order_shipments(self, order_id: int) -> list[Shipment]:
        path = ORDER_SHIPMENTS_PATH.format(order_id=order_id)
        body = await self._call("GET", path)
        return [_parse(Shipment, s, "GET", path) for s in body.get("data") or []]

    async def create_shipment(self, order_id: int) -> list[Shipment]:
        body = await self._call(
            "POST", "Shipments/Create", json={"OrderId": order_id}, idempotent=False
        )
        return [_parse(Shipment, s, "POST", "Shipments/Create") for s in body.get("data") or []]

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


def _message(response: httpx.Response) -> str | None:
    """ecomdash's ``{"Message": ...}`` or APIM's ``{"statusCode", "message"}``, else the text."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.text[:500] or None
    if isinstance(body, dict):
        for key in ("Message", "message"):
            if isinstance(body.get(key), str):
                return str(body[key])
        messages = body.get("messages")
        if isinstance(messages, list) and messages:
            return "; ".join(str(m) for m in messages)
    return None


__all__ = ["EcomdashClient", "EcomdashError"]
