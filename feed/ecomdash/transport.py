"""The wire layer under EcomdashClient: one ``httpx.AsyncClient`` per account, auth headers
set once, the account's rate limiter, retries that honour ``Retry-After``, and ``_unwrap``,
which maps HTTP errors to the ``EcomdashError`` family and treats an HTTP 200 whose envelope
says ``Failure`` as a failure.
"""

import contextvars
import re
from collections.abc import AsyncIterator
from typing import Any, Protocol, Self, TypeVar

import httpx
import orjson
import stamina
from pydantic import BaseModel, ValidationError

from feed.ecomdash.errors import (
    AuthenticationError,
    BadRequestError,
    RateLimitError,
    ServerError,
    TransportError,
)
from feed.ecomdash.models import Pagination
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
QUANTITY_BATCH_SIZE = 25  # integrators send 25 per call; no maximum is documented
MAX_PAGE_SIZE = 200  # GET lists and getOrders accept at most 200 results per page


_ID_SEGMENT = re.compile(r"/\d+")
ITEM_MESSAGE = re.compile(r"^\s*Index\s+(\d+)\s*:\s*(.*)$", re.IGNORECASE)
M = TypeVar("M", bound=BaseModel)
# Calls made by the current task (a run), apart from other runs sharing the same client.
task_calls: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "ecomdash_task_calls", default=None
)


class CallObserver(Protocol):
    """Told about every call and retry (the service counts them for /metrics)."""

    def call(self, operation: str, outcome: str) -> None: ...

    def retry(self, operation: str) -> None: ...


def parse_model(model: type[M], data: Any, method: str, path: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise TransportError(f"unexpected response shape: {exc}", method=method, path=path) from exc


class EcomdashTransport:
    """Auth headers, limiter, retries and the envelope: everything but the endpoints."""

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

    async def __aenter__(self) -> Self:
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
                allow_partial and any(ITEM_MESSAGE.match(m) for m in messages)
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
            pagination = parse_model(Pagination, body.get("pagination") or {}, "GET", path)
            if not items or pagination.current_page >= pagination.total_number_of_pages:
                return
            if pagination.current_page != page:
                raise TransportError(
                    f"asked for page {page}, got {pagination.current_page}", method="GET", path=path
                )
            page += 1


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
