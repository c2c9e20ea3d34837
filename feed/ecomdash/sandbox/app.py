"""The sandbox application: ecomdash's endpoints behind its gateway, the ``/_sandbox``
controls, and the integrated import that polls a feed link."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from feed.ecomdash.sandbox.admin import admin
from feed.ecomdash.sandbox.api import EcomdashHTTPError, api
from feed.ecomdash.sandbox.faults import DroppedConnection
from feed.ecomdash.sandbox.gateway import Gateway
from feed.ecomdash.sandbox.integrated import pull
from feed.ecomdash.sandbox.state import SandboxState

logger = logging.getLogger(__name__)
FIRST_PULL_DELAY = 2.0


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
