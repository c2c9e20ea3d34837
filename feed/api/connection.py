"""Checks a channel's ecomdash connection with a real, read-only call."""

from fastapi import APIRouter, Request
from sqlmodel import SQLModel

from feed.api.deps import ChannelDep, SecretBoxDep
from feed.ecomdash.errors import EcomdashError
from feed.ecomdash.registry import ClientRegistry

router = APIRouter(prefix="/channels/{channel_id}/connection", tags=["channels"])


class WarehousePublic(SQLModel):
    id: int
    name: str | None
    type: str | None


class ConnectionCheck(SQLModel):
    ok: bool
    error: str | None = None
    status_code: int | None = None
    warehouses: list[WarehousePublic] = []


@router.post("/check", response_model=ConnectionCheck)
async def check_connection(
    request: Request, channel: ChannelDep, box: SecretBoxDep
) -> ConnectionCheck:
    """Lists the account's warehouses: proves both keys work and shows the warehouse ids."""
    registry: ClientRegistry = request.app.state.ecomdash
    assert channel.id is not None
    client = await registry.client(
        channel.id,
        base_url=channel.base_url,
        ecd_subscription_key=box.decrypt(channel.ecd_subscription_key_enc),
        apim_subscription_key=(
            box.decrypt(channel.apim_subscription_key_enc)
            if channel.apim_subscription_key_enc
            else None
        ),
        application_id=channel.application_id,
    )
    try:
        warehouses = [w async for w in client.iter_warehouses()]
    except EcomdashError as exc:
        return ConnectionCheck(
            ok=False, error=f"{type(exc).__name__}: {exc.message}", status_code=exc.status_code
        )
    return ConnectionCheck(
        ok=True,
        warehouses=[WarehousePublic(id=w.id, name=w.name, type=w.type) for w in warehouses],
    )
