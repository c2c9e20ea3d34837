"""Keeps each listing's offer (``offered``, ``offer_price``, ``offer_quantity``) current.

Runs in the same transaction as the change that moves it: a listing write, or a change of
the channel's rules. Only rows whose offer changed are updated.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from feed.models import Channel, Listing
from feed.rules import ChannelRules, compute_offer

LISTING = Listing.__table__  # type: ignore[attr-defined]
CHANNEL = Channel.__table__  # type: ignore[attr-defined]
BATCH = 5000
_FIELDS = (
    "id",
    "sku",
    "price",
    "cost",
    "msrp",
    "map_price",
    "quantity",
    "is_discontinued",
    "brand",
    "offered",
    "offer_price",
    "offer_quantity",
)


def channel_rules(conn: Connection, channel_id: int) -> ChannelRules:
    stored = conn.execute(select(CHANNEL.c.rules).where(CHANNEL.c.id == channel_id)).scalar()
    return ChannelRules.model_validate(stored or {})


def refresh_offers(conn: Connection, channel_id: int, skus: Sequence[str] | None = None) -> int:
    """Recomputes offers for the given SKUs (or the whole channel); returns rows changed."""
    rules = channel_rules(conn, channel_id)
    stmt = select(*(LISTING.c[f] for f in _FIELDS)).where(LISTING.c.channel_id == channel_id)
    changed = 0
    if skus is None:
        # The whole channel, a keyset page at a time, so memory stays flat at any size.
        last_id = 0
        while (
            rows := conn.execute(
                stmt.where(LISTING.c.id > last_id).order_by(LISTING.c.id).limit(BATCH)
            )
            .mappings()
            .all()
        ):
            changed += _apply(conn, rules, rows)
            last_id = rows[-1]["id"]
        return changed
    for start in range(0, len(skus), BATCH):
        chunk = list(skus[start : start + BATCH])
        rows = conn.execute(stmt.where(LISTING.c.sku.in_(chunk))).mappings().all()
        changed += _apply(conn, rules, rows)
    return changed


def _apply(conn: Connection, rules: ChannelRules, rows: Sequence[Any]) -> int:
    params = []
    for row in rows:
        offer = compute_offer(row, rules)
        if (offer.offered, offer.price, offer.quantity) != (
            row["offered"],
            row["offer_price"],
            row["offer_quantity"],
        ):
            params.append(
                {
                    "lid": row["id"],
                    "b_offered": offer.offered,
                    "b_price": offer.price,
                    "b_quantity": offer.quantity,
                }
            )
    for start in range(0, len(params), BATCH):
        conn.execute(
            update(LISTING)
            .where(LISTING.c.id == bindparam("lid"))
            .values(
                offered=bindparam("b_offered"),
                offer_price=bindparam("b_price"),
                offer_quantity=bindparam("b_quantity"),
            ),
            params[start : start + BATCH],
        )
    return len(params)
