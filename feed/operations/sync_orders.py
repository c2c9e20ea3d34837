"""sync-orders: get each recorded shipment's tracking to ecomdash exactly once.

For a shipment not yet tied to an ecomdash shipment, the order's shipments in ecomdash are
looked up first (one left unshipped by a run that stopped after creating it is taken over),
and only then is one created; its id and item ids are committed before the tracking call.
A shipment is confirmed only when ecomdash answers ``WasSuccessful``; failures keep their error
and are retried next run. The run also records status changes (e.g. cancellations) of open
orders.
"""

from datetime import timedelta
from typing import Any

import anyio
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from feed.db import utcnow
from feed.ecomdash.errors import AuthenticationError, EcomdashError
from feed.ecomdash.models import Shipment as EcomdashShipment
from feed.ecomdash.models import TrackingInfo, TrackingLine
from feed.operations.get_orders import KNOWN_STATUSES
from feed.operations.runs import RunContext
from feed.orders_models import OrderLine, SalesOrder, Shipment, ShipmentLine

ORDER = SalesOrder.__table__  # type: ignore[attr-defined]
LINE = OrderLine.__table__  # type: ignore[attr-defined]
SHIPMENT = Shipment.__table__  # type: ignore[attr-defined]
SHIPMENT_LINE = ShipmentLine.__table__  # type: ignore[attr-defined]
# Statuses searched for changes of open orders; "Cancelled" is not documented but expected.
WATCHED_STATUSES = (*KNOWN_STATUSES, "Cancelled")


def _due(engine: Engine, channel_id: int) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(SHIPMENT, ORDER.c.ecomdash_order_id, ORDER.c.ecomdash_carrier_id)
                .join(ORDER, ORDER.c.id == SHIPMENT.c.order_id)
                .where(
                    SHIPMENT.c.channel_id == channel_id, SHIPMENT.c.state.in_(("pending", "failed"))
                )
                .order_by(SHIPMENT.c.id)
            )
        )


def _lines(engine: Engine, shipment_id: int) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(
                    LINE.c.id,
                    LINE.c.ecomdash_line_id,
                    LINE.c.quantity,
                    SHIPMENT_LINE.c.quantity.label("shipped"),
                )
                .join(LINE, LINE.c.id == SHIPMENT_LINE.c.order_line_id)
                .where(SHIPMENT_LINE.c.shipment_id == shipment_id)
            )
        )


def _claimed(engine: Engine, channel_id: int) -> set[int]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(SHIPMENT.c.ecomdash_shipment_id).where(
                    SHIPMENT.c.channel_id == channel_id,
                    SHIPMENT.c.ecomdash_shipment_id.is_not(None),
                )
            ).scalars()
        )


def _save(engine: Engine, shipment_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(SHIPMENT).where(SHIPMENT.c.id == shipment_id).values(values))


def _item_ids(remote: EcomdashShipment, lines: list[Any]) -> dict[str, int]:
    by_line = {item.order_line_item_id: item.id for item in remote.items}
    return {
        str(line.id): by_line[line.ecomdash_line_id]
        for line in lines
        if line.ecomdash_line_id in by_line
    }


async def _tie(
    ctx: RunContext, shipment: Any, lines: list[Any]
) -> tuple[int, dict[str, int], bool]:
    """The ecomdash shipment for ours: one left open by an earlier run, or a new one."""
    claimed = await anyio.to_thread.run_sync(_claimed, ctx.engine, ctx.channel.id)
    existing = await ctx.client.get_order_shipments(shipment.ecomdash_order_id)
    remote = next(
        (
            s
            for s in existing
            if s.id not in claimed and s.items and not any(i.is_shipped for i in s.items)
        ),
        None,
    )
    if remote is None:
        created = await ctx.client.create_shipment(shipment.ecomdash_order_id)
        if not created:
            raise EcomdashError("Shipments/Create returned no shipment")
        remote = created[0]
        ctx.count("ecomdash_shipments_created")
    else:
        ctx.count("ecomdash_shipments_reused")
    item_ids = _item_ids(remote, lines)
    # Committed before the tracking call, so a crash never leads to a second shipment.
    await anyio.to_thread.run_sync(
        lambda: _save(
            ctx.engine, shipment.id, ecomdash_shipment_id=remote.id, ecomdash_item_ids=item_ids
        )
    )
    # Partial when the ecomdash shipment holds items (or quantities) this one does not ship.
    partial = set(item_ids.values()) != {i.id for i in remote.items} or any(
        line.shipped < line.quantity for line in lines
    )
    return remote.id, item_ids, partial


async def _send(ctx: RunContext, shipment: Any) -> None:
    lines = await anyio.to_thread.run_sync(_lines, ctx.engine, shipment.id)
    if shipment.ecomdash_shipment_id is None:
        remote_id, item_ids, partial = await _tie(ctx, shipment, lines)
    else:  # tied by an earlier run: name the lines, which is right in every case
        remote_id, item_ids = shipment.ecomdash_shipment_id, dict(shipment.ecomdash_item_ids)
        partial = True
    info = TrackingInfo(
        shipment_id=remote_id,
        carrier_id=shipment.ecomdash_carrier_id,
        tracking_number=shipment.tracking_number,
        shipped_date=shipment.shipped_at,
        # Without LineItems ecomdash ships every remaining item of the shipment; a partial
        # shipment names its lines.
        line_items=[
            TrackingLine(
                line_item_id=i,
                carrier_id=shipment.ecomdash_carrier_id,
                tracking_number=shipment.tracking_number,
            )
            for i in item_ids.values()
        ]
        if partial
        else None,
    )
    await ctx.client.submit_tracking([info])  # raises unless WasSuccessful


async def _pull_status_changes(ctx: RunContext) -> None:
    now = utcnow()
    start = now - timedelta(days=ctx.channel.order_days)

    def load() -> dict[int, Any]:
        with ctx.engine.connect() as conn:
            rows = conn.execute(
                select(ORDER.c.id, ORDER.c.ecomdash_order_id, ORDER.c.ecomdash_status).where(
                    ORDER.c.channel_id == ctx.channel.id, ORDER.c.state != "cancelled"
                )
            )
            return {row.ecomdash_order_id: row for row in rows}

    open_orders = await anyio.to_thread.run_sync(load)
    if not open_orders:
        return
    for status in WATCHED_STATUSES:
        async for order in ctx.client.iter_orders(
            status=status, from_date=start.date(), to_date=now.date()
        ):
            ours = open_orders.get(order.ecomdash_id)
            if ours is None or ours.ecomdash_status == order.status:
                continue
            values: dict[str, Any] = {"ecomdash_status": order.status, "updated_at": utcnow()}
            if status == "Cancelled":
                values["state"] = "cancelled"
                ctx.count("orders_cancelled")
            else:
                ctx.count("status_changed")

            def save(order_id: int = ours.id, values: dict[str, Any] = values) -> None:
                with ctx.engine.begin() as conn:
                    conn.execute(update(ORDER).where(ORDER.c.id == order_id).values(values))

            await anyio.to_thread.run_sync(save)


async def sync_orders(ctx: RunContext) -> None:
    due = await anyio.to_thread.run_sync(_due, ctx.engine, ctx.channel.id)
    for done, shipment in enumerate(due, start=1):
        try:
            await _send(ctx, shipment)
        except AuthenticationError:
            raise  # nothing else will work either
        except EcomdashError as exc:
            await anyio.to_thread.run_sync(
                lambda s=shipment, e=exc: _save(
                    ctx.engine, s.id, state="failed", error=f"{type(e).__name__}: {e.message}"
                )
            )
            ctx.count("failed")
            ctx.error(None, f"shipment {shipment.id} ({shipment.tracking_number}): {exc.message}")
        else:
            await anyio.to_thread.run_sync(
                lambda s=shipment: _save(
                    ctx.engine, s.id, state="confirmed", error=None, confirmed_at=utcnow()
                )
            )
            ctx.count("confirmed")
        await ctx.progress(done, len(due))
    await _pull_status_changes(ctx)
