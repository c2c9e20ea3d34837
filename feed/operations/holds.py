"""Why an order waits, and releasing it once the reason is gone.

Reasons are strings an operator can read: ``unmapped_shipping: "<text>"`` (no shipping
mapping for the store's method), ``unknown_sku: <sku>`` (no linked listing) and
``duplicate_of: <order id>`` (the same marketplace order seen under another ecomdash id).
"""

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from feed.db import utcnow
from feed.models import Listing
from feed.orders_models import OrderLine, SalesOrder, ShippingMapping

ORDER = SalesOrder.__table__  # type: ignore[attr-defined]
LINE = OrderLine.__table__  # type: ignore[attr-defined]
MAPPING = ShippingMapping.__table__  # type: ignore[attr-defined]
LISTING = Listing.__table__  # type: ignore[attr-defined]


def method_key(text: str | None) -> str:
    return (text or "").strip().casefold()


def mappings(conn: Connection, channel_id: int) -> dict[str, Any]:
    rows = conn.execute(select(MAPPING).where(MAPPING.c.channel_id == channel_id))
    return {row.method_key: row for row in rows}


def linked_listings(conn: Connection, channel_id: int, skus: set[str] | None) -> dict[str, int]:
    """Our listing id for each SKU (ours or ecomdash's) linked to an ecomdash product;
    ``skus=None`` returns them all."""
    if skus is not None and not skus:
        return {}
    rows = conn.execute(
        select(LISTING.c.id, LISTING.c.sku, LISTING.c.ecomdash_sku).where(
            LISTING.c.channel_id == channel_id, LISTING.c.ecomdash_product_id.is_not(None)
        )
    )
    wanted = {s.strip().casefold() for s in skus} if skus is not None else None
    found: dict[str, int] = {}
    for row in rows:
        for sku in (row.sku, row.ecomdash_sku):
            key = (sku or "").strip().casefold()
            if key and (wanted is None or key in wanted):
                found[key] = row.id
    return found


def shipping_reason(method: str | None, mapping: Any) -> str | None:
    if mapping is None:
        return f'unmapped_shipping: "{method or ""}"'
    return None


def reevaluate_holds(conn: Connection, channel_id: int, import_unknown_skus: bool) -> int:
    """Re-checks held orders after mappings or links changed; returns how many were released."""
    held = conn.execute(
        select(ORDER).where(ORDER.c.channel_id == channel_id, ORDER.c.state == "held")
    ).all()
    if not held:
        return 0
    by_method = mappings(conn, channel_id)
    lines = conn.execute(select(LINE).where(LINE.c.order_id.in_([o.id for o in held]))).all()
    linked = linked_listings(conn, channel_id, {line.sku for line in lines if line.sku})
    released = 0
    now = utcnow()
    for order in held:
        reasons = [r for r in order.hold_reasons if r.startswith("duplicate_of:")]
        mapping = by_method.get(method_key(order.shipping_method))
        if (reason := shipping_reason(order.shipping_method, mapping)) is not None:
            reasons.append(reason)
        for line in (x for x in lines if x.order_id == order.id):
            listing_id = linked.get((line.sku or "").strip().casefold())
            conn.execute(
                update(LINE)
                .where(LINE.c.id == line.id)
                .values(listing_id=listing_id, unknown_sku=listing_id is None)
            )
            if listing_id is None and not import_unknown_skus:
                reasons.append(f"unknown_sku: {line.sku}")
        values: dict[str, Any] = {
            "hold_reasons": reasons,
            "updated_at": now,
            "state": "held" if reasons else "ready",
        }
        if mapping is not None:
            values |= {
                "carrier": mapping.carrier,
                "service": mapping.service,
                "ecomdash_carrier_id": mapping.ecomdash_carrier_id,
            }
        conn.execute(update(ORDER).where(ORDER.c.id == order.id).values(values))
        released += not reasons
    return released
