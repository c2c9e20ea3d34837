"""``/_sandbox`` controls: faults, integrated import, the acknowledgement receiver, the
call log. Not part of ecomdash; a test double's knobs."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from feed.ecomdash.sandbox.api import EcomdashHTTPError
from feed.ecomdash.sandbox.faults import Faults
from feed.ecomdash.sandbox.integrated import pull
from feed.ecomdash.sandbox.state import Account, SandboxState

admin = APIRouter(prefix="/_sandbox", tags=["sandbox"])


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
