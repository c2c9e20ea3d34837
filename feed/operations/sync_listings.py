"""sync-listings: push the channel's offer (quantity, price) for linked listings to ecomdash.

Only what differs from what ecomdash last confirmed is sent, so an unchanged channel costs no
call at all. Quantities are absolute (``updateQuantityOnHand`` in batches), so resending after
an interrupted run is harmless; each batch's confirmations are stored before the next one is
sent. Prices go through a read-modify-write of the product (``PUT /Inventory``).
"""

from decimal import Decimal
from typing import Any

import anyio
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.engine import Engine

from feed.db import utcnow
from feed.ecomdash.errors import BadRequestError
from feed.ecomdash.models import GlobalListingAttributes, QuantityUpdate
from feed.models import Channel, Listing
from feed.operations.runs import RunContext

LISTING = Listing.__table__  # type: ignore[attr-defined]
CHANNEL = Channel.__table__  # type: ignore[attr-defined]
# Above this many never-confirmed prices, paging the inventory beats a GET per product.
PRICE_SCAN_THRESHOLD = 200


def _pending(engine: Engine, channel_id: int, full: bool) -> tuple[list[Any], list[Any]]:
    linked = (LISTING.c.channel_id == channel_id) & LISTING.c.ecomdash_product_id.is_not(None)
    quantity = select(
        LISTING.c.id,
        LISTING.c.sku,
        LISTING.c.ecomdash_sku,
        LISTING.c.ecomdash_product_id,
        LISTING.c.offer_quantity,
    ).where(linked)
    price = select(
        LISTING.c.id,
        LISTING.c.sku,
        LISTING.c.ecomdash_product_id,
        LISTING.c.offer_price,
        LISTING.c.synced_price,
    ).where(linked, LISTING.c.offered.is_(True), LISTING.c.offer_price.is_not(None))
    if not full:
        quantity = quantity.where(
            or_(
                LISTING.c.synced_quantity.is_(None),
                LISTING.c.synced_quantity != LISTING.c.offer_quantity,
            )
        )
        price = price.where(
            or_(LISTING.c.synced_price.is_(None), LISTING.c.synced_price != LISTING.c.offer_price)
        )
    with engine.connect() as conn:
        return (
            list(conn.execute(quantity.order_by(LISTING.c.sku))),
            list(conn.execute(price.order_by(LISTING.c.sku))),
        )


def _record(engine: Engine, column: str, results: list[dict[str, Any]]) -> None:
    if not results:
        return
    values: dict[str, Any] = {"sync_error": bindparam("b_error"), "synced_at": bindparam("b_at")}
    confirmed = [r for r in results if r["b_error"] is None]
    failed = [r for r in results if r["b_error"] is not None]
    with engine.begin() as conn:
        if confirmed:
            conn.execute(
                update(LISTING)
                .where(LISTING.c.id == bindparam("b_id"))
                .values({**values, column: bindparam("b_value")}),
                confirmed,
            )
        if failed:
            conn.execute(
                update(LISTING)
                .where(LISTING.c.id == bindparam("b_id"))
                .values(sync_error=bindparam("b_error")),
                failed,
            )


async def _warehouse_id(ctx: RunContext) -> int:
    if ctx.channel.ecomdash_warehouse_id:
        return int(ctx.channel.ecomdash_warehouse_id)
    warehouses = [w async for w in ctx.client.iter_warehouses()]
    active = [w for w in warehouses if w.is_active is not False]
    chosen = next((w for w in active if w.type == "Standard"), active[0] if active else None)
    if chosen is None:
        raise BadRequestError("the ecomdash account has no active warehouse")

    def remember() -> None:
        with ctx.engine.begin() as conn:
            conn.execute(
                update(CHANNEL)
                .where(CHANNEL.c.id == ctx.channel.id)
                .values(ecomdash_warehouse_id=chosen.id)
            )

    await anyio.to_thread.run_sync(remember)
    return chosen.id


async def _skip_prices_already_set(ctx: RunContext, prices: list[Any]) -> list[Any]:
    """Many never-confirmed prices (a first sync): read them a page of 200 at a time instead
    of one product per call, and write only those that differ."""
    unknown = {row.ecomdash_product_id for row in prices if row.synced_price is None}
    if len(unknown) <= PRICE_SCAN_THRESHOLD:
        return prices
    current: dict[int, Decimal | None] = {}
    async for product in ctx.client.iter_products(include=("GlobalListingAttributes",)):
        if product.id in unknown:
            attributes = product.global_listing_attributes
            current[product.id] = attributes.price if attributes else None
    now = utcnow()
    confirmed, rest = [], []
    for row in prices:
        price = current.get(row.ecomdash_product_id)
        if row.synced_price is None and price is not None and Decimal(price) == row.offer_price:
            confirmed.append(
                {"b_id": row.id, "b_value": row.offer_price, "b_at": now, "b_error": None}
            )
        else:
            rest.append(row)
    ctx.count("prices_already_set", len(confirmed))
    await anyio.to_thread.run_sync(_record, ctx.engine, "synced_price", confirmed)
    return rest


async def sync_listings(ctx: RunContext) -> None:
    full = bool(ctx.options.get("full"))
    quantities, prices = await anyio.to_thread.run_sync(_pending, ctx.engine, ctx.channel.id, full)
    total = len(quantities) + len(prices)
    if total == 0:
        return  # nothing changed: not a single call
    done = 0
    if quantities:
        warehouse_id = await _warehouse_id(ctx)
        size = ctx.client.quantity_batch_size
        for start in range(0, len(quantities), size):
            batch = quantities[start : start + size]
            outcomes = await ctx.client.update_quantities(
                [
                    QuantityUpdate(
                        sku=row.ecomdash_sku or row.sku,
                        quantity=Decimal(row.offer_quantity),
                        warehouse_id=warehouse_id,
                    )
                    for row in batch
                ]
            )
            now = utcnow()
            results = []
            for row, outcome in zip(batch, outcomes, strict=True):
                results.append(
                    {
                        "b_id": row.id,
                        "b_value": row.offer_quantity,
                        "b_at": now,
                        "b_error": None if outcome.ok else outcome.message,
                    }
                )
                if outcome.ok:
                    ctx.count("quantities_sent")
                else:
                    ctx.count("quantities_failed")
                    ctx.error(row.sku, f"quantity: {outcome.message}")
            await anyio.to_thread.run_sync(_record, ctx.engine, "synced_quantity", results)
            done += len(batch)
            await ctx.progress(done, total)
    skipped = len(prices)
    prices = await _skip_prices_already_set(ctx, prices)
    done += skipped - len(prices)
    await ctx.progress(done, total)
    for row in prices:
        error = None
        try:
            product = await ctx.client.get_product(row.ecomdash_product_id)
            attributes = product.global_listing_attributes or GlobalListingAttributes()
            if attributes.price is not None and Decimal(attributes.price) == row.offer_price:
                ctx.count("prices_already_set")  # confirmed by the read; no write needed
            else:
                attributes.price = row.offer_price
                product.global_listing_attributes = attributes
                await ctx.client.update_product(product)
                ctx.count("prices_sent")
        except BadRequestError as exc:
            error = exc.message
            ctx.count("prices_failed")
            ctx.error(row.sku, f"price: {exc.message}")
        await anyio.to_thread.run_sync(
            _record,
            ctx.engine,
            "synced_price",
            [{"b_id": row.id, "b_value": row.offer_price, "b_at": utcnow(), "b_error": error}],
        )
        done += 1
        await ctx.progress(done, total)
