"""get-orders: import new ecomdash orders exactly once, with their lines and ship-to.

The window is the last ``order_days`` days, for each configured status; every run re-reads it
whole, so late arrivals are caught and orders already imported are only counted. Each order is
committed on its own (unique per channel and ecomdash id) before the next is read. Orders are
held, with a readable reason, when their shipping method has no mapping, a line's SKU has no
linked listing, or the marketplace order was already imported under another ecomdash id. The
run also counts what it did not import (other statuses, older orders) so "why didn't my order
import" has an answer.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from feed.db import utcnow
from feed.ecomdash.models import Order, OrderLineItem
from feed.operations.acknowledge import acknowledge_orders
from feed.operations.holds import (
    LINE,
    ORDER,
    linked_listings,
    mappings,
    method_key,
    shipping_reason,
)
from feed.operations.runs import RunContext

# Statuses the reference documents; the ones a channel does not import are counted as skipped.
KNOWN_STATUSES = ("New", "InProcess", "Complete")
TOO_OLD_LOOKBACK_DAYS = 30


def _known_ids(engine: Engine, channel_id: int) -> dict[int, Any]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                ORDER.c.ecomdash_order_id, ORDER.c.id, ORDER.c.ecomdash_status, ORDER.c.state
            ).where(ORDER.c.channel_id == channel_id)
        )
        return {row.ecomdash_order_id: row for row in rows}


def _created(order: Order) -> datetime | None:
    if order.created_date is None:
        return None
    created = order.created_date
    # ecomdash contract: inferred, see ecomdash-api.md §2 — dates carry no zone; taken as UTC.
    return created.replace(tzinfo=UTC) if created.tzinfo is None else created


def _lookups(engine: Engine, channel_id: int) -> tuple[dict[str, Any], dict[str, int]]:
    """Shipping mappings and linked listings, read once per run."""
    with engine.connect() as conn:
        return mappings(conn, channel_id), linked_listings(conn, channel_id, None)


def _import(
    engine: Engine,
    channel: Any,
    order: Order,
    lines: list[OrderLineItem],
    lookups: tuple[dict[str, Any], dict[str, int]],
) -> str:
    """Stores one order with its lines in one transaction; returns its state."""
    contact = order.ship_to_contact
    by_method, linked = lookups
    with engine.begin() as conn:
        mapping = by_method.get(method_key(order.shipping_method))
        reasons = []
        if (reason := shipping_reason(order.shipping_method, mapping)) is not None:
            reasons.append(reason)
        rows = []
        for li in lines:
            listing_id = linked.get((li.sku_number or "").strip().casefold())
            if listing_id is None and not channel.import_unknown_skus:
                reasons.append(f"unknown_sku: {li.sku_number}")
            rows.append(
                {
                    "ecomdash_line_id": li.order_line_item_id,
                    "sku": li.sku_number,
                    "product_name": li.product_name,
                    "quantity": int(li.quantity_sold),
                    "unit_price": li.unit_price,
                    "listing_id": listing_id,
                    "unknown_sku": listing_id is None,
                }
            )
        if order.storefront_order_number:
            twin = conn.execute(
                select(ORDER.c.id).where(
                    ORDER.c.channel_id == channel.id,
                    ORDER.c.storefront_type == order.storefront_type,
                    ORDER.c.storefront_order_number == order.storefront_order_number,
                )
            ).scalar()
            if twin is not None:
                reasons.append(f"duplicate_of: {twin}")
        state = (
            "cancelled"
            if (order.status or "").casefold().startswith("cancel")
            else ("held" if reasons else "ready")
        )
        now = utcnow()
        order_id = conn.execute(
            insert(ORDER)
            .values(
                channel_id=channel.id,
                ecomdash_order_id=order.ecomdash_id,
                storefront_type=order.storefront_type,
                storefront_id=order.storefront_id,
                storefront_order_number=order.storefront_order_number,
                ecomdash_status=order.status,
                created_date=_created(order),
                total_amount=order.total_amount,
                buyer_name=contact.full_name if contact else None,
                buyer_email=contact.email_address if contact else None,
                ship_to=contact.wire() if contact else None,
                shipping_method=order.shipping_method,
                carrier=mapping.carrier if mapping else None,
                service=mapping.service if mapping else None,
                ecomdash_carrier_id=mapping.ecomdash_carrier_id if mapping else None,
                state=state,
                hold_reasons=reasons,
                imported_at=now,
                updated_at=now,
            )
            .returning(ORDER.c.id)
        ).scalar_one()
        if rows:
            conn.execute(insert(LINE), [r | {"order_id": order_id} for r in rows])
    return state


def _status_changed(engine: Engine, known: Any, status: str | None) -> None:
    values: dict[str, Any] = {"ecomdash_status": status, "updated_at": utcnow()}
    if (status or "").casefold().startswith("cancel"):
        values["state"] = "cancelled"
    with engine.begin() as conn:
        conn.execute(update(ORDER).where(ORDER.c.id == known.id).values(values))


async def _count(ctx: RunContext, status: str, start: datetime, end: datetime) -> int:
    return await ctx.client.count_orders(status=status, from_date=start.date(), to_date=end.date())


async def get_orders(ctx: RunContext) -> None:
    channel = ctx.channel
    now = utcnow()
    start = now - timedelta(days=channel.order_days)
    known = await anyio.to_thread.run_sync(_known_ids, ctx.engine, channel.id)
    lookups = await anyio.to_thread.run_sync(_lookups, ctx.engine, channel.id)
    seen = 0
    for status in channel.order_statuses:
        async for order in ctx.client.iter_orders(
            status=status, from_date=start.date(), to_date=now.date()
        ):
            seen += 1
            existing = known.get(order.ecomdash_id)
            if existing is not None:
                ctx.count("already_imported")
                if existing.ecomdash_status != order.status:
                    await anyio.to_thread.run_sync(
                        _status_changed, ctx.engine, existing, order.status
                    )
                    ctx.count("status_changed")
                continue
            lines = order.line_items
            if lines is None:
                lines = await ctx.client.get_order_line_items(order.ecomdash_id)
            try:
                state = await anyio.to_thread.run_sync(
                    _import, ctx.engine, channel, order, lines, lookups
                )
            except IntegrityError:  # imported meanwhile by a concurrent run
                ctx.count("already_imported")
                continue
            known[order.ecomdash_id] = None
            ctx.count("imported")
            if state != "ready":
                ctx.count(state)
            await ctx.progress(seen, seen)
    # Only after every import is committed; a failure here is retried, never re-imported.
    await acknowledge_orders(ctx)
    # The diagnosis: what exists in ecomdash but was not imported, and why.
    for status in KNOWN_STATUSES:
        if status not in channel.order_statuses:
            if skipped := await _count(ctx, status, start, now):
                ctx.count(f"skipped_status_{status}", skipped)
    older = now - timedelta(days=TOO_OLD_LOOKBACK_DAYS + channel.order_days)
    too_old = 0
    for status in channel.order_statuses:
        too_old += await _count(ctx, status, older, start - timedelta(days=1))
    if too_old:
        ctx.count("skipped_too_old", too_old)
