"""link-listings: connect our listings to existing ecomdash products.

Matching goes SKU (case-insensitive, trimmed), then UPC, then EAN, then GTIN, identifiers
compared GTIN-normalised. Products are found with the bulk lookup (``getProducts``, 100 SKUs or
UPCs a call) or, when that would cost more calls, with one pass over ``GET /Inventory`` (200 a
page), which also answers EAN and GTIN; a lookup run pages the inventory only for what is left
with an EAN/GTIN. A listing that matches several products,
or a product that several listings claim, is a conflict and stays unlinked. Existing links are
kept unless their product is gone.
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import anyio
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Engine

from feed.catalog.identifiers import normalize_gtin
from feed.db import utcnow
from feed.ecomdash.client import LOOKUP_BATCH_SIZE, MAX_PAGE_SIZE
from feed.models import Listing
from feed.operations.holds import reevaluate_holds
from feed.operations.runs import RunContext

LISTING = Listing.__table__  # type: ignore[attr-defined]


@dataclass
class Outcome:
    state: str  # linked | unmatched | conflict
    product_id: int | None = None
    method: str | None = None
    message: str | None = None
    ecomdash_sku: str | None = None


def sku_key(sku: str) -> str:
    return sku.strip().casefold()


def _load(engine: Engine, channel_id: int) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(
                    LISTING.c.id,
                    LISTING.c.sku,
                    LISTING.c.upc,
                    LISTING.c.ean,
                    LISTING.c.gtin,
                    LISTING.c.ecomdash_product_id,
                    LISTING.c.ecomdash_sku,
                    LISTING.c.link_state,
                    LISTING.c.link_method,
                    LISTING.c.link_message,
                ).where(LISTING.c.channel_id == channel_id)
            )
        )


def upc_candidates(listing: Any) -> set[str]:
    """12-digit UPC-A forms of a listing's identifiers, for the exact-match UPC lookup."""
    forms = set()
    for code in (listing.upc, listing.ean, listing.gtin):
        gtin14 = normalize_gtin(code)
        if gtin14 is not None and gtin14.startswith("00"):
            forms.add(gtin14[2:])
    return forms


def gtin_keys(listing: Any, fields: Iterable[str]) -> set[str]:
    return {k for f in fields if (k := normalize_gtin(getattr(listing, f))) is not None}


def _single(matches: set[int], method: str, what: str) -> Outcome:
    if len(matches) == 1:
        return Outcome("linked", next(iter(matches)), method)
    ids = ", ".join(str(i) for i in sorted(matches))
    return Outcome("conflict", message=f"{what} matches {len(matches)} ecomdash products ({ids})")


@dataclass
class Indexes:
    """ecomdash products by SKU, by UPC, and by any GTIN-family identifier."""

    by_sku: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_upc: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_any: dict[str, set[int]] | None = None  # filled only when a pass over GET /Inventory ran
    skus: dict[int, str] = field(default_factory=dict)

    def add(self, product: Any, *, any_identifier: bool) -> None:
        self.skus[product.id] = product.sku
        self.by_sku[sku_key(product.sku)].add(product.id)
        ids = getattr(product, "identifiers", None)
        upc = ids.upc if ids is not None else getattr(product, "upc", None)
        if (key := normalize_gtin(upc)) is not None:
            self.by_upc[key].add(product.id)
        if any_identifier and ids is not None:
            assert self.by_any is not None
            for code in (ids.upc, ids.ean, ids.gtin, ids.isbn):
                if (key := normalize_gtin(code)) is not None:
                    self.by_any[key].add(product.id)


async def _scan(ctx: RunContext, indexes: Indexes) -> None:
    indexes.by_any = defaultdict(set)
    async for product in ctx.client.iter_products():
        indexes.add(product, any_identifier=True)


async def _gather(ctx: RunContext, candidates: list[Any]) -> Indexes:
    """Bulk lookups (100 SKUs or UPCs a call) or one pass over the inventory (200 a page),
    whichever costs fewer calls; the pass also answers EAN and GTIN."""
    indexes = Indexes()
    if not candidates:
        return indexes
    upcs = sorted({u for row in candidates for u in upc_candidates(row)})
    lookups = math.ceil(len(candidates) / LOOKUP_BATCH_SIZE) + math.ceil(
        len(upcs) / LOOKUP_BATCH_SIZE
    )
    pages = math.ceil(await ctx.client.count_products() / MAX_PAGE_SIZE)
    if pages < lookups:
        await _scan(ctx, indexes)
        return indexes
    for product in await ctx.client.get_products("sku", [row.sku for row in candidates]):
        indexes.add(product, any_identifier=False)
    left = [row for row in candidates if sku_key(row.sku) not in indexes.by_sku]
    upcs = sorted({u for row in left for u in upc_candidates(row)})
    if upcs:
        for product in await ctx.client.get_products("upc", upcs):
            indexes.add(product, any_identifier=False)
    return indexes


def _match(row: Any, indexes: Indexes) -> Outcome | None:
    if matches := indexes.by_sku.get(sku_key(row.sku)):
        return _single(matches, "sku", "SKU")
    matches = _union(indexes.by_upc, gtin_keys(row, ("upc",))) or _union(
        indexes.by_upc, gtin_keys(row, ("ean", "gtin"))
    )
    if matches:
        return _single(matches, "upc", "UPC")
    if indexes.by_any is not None:
        for method in ("ean", "gtin"):
            if matches := _union(indexes.by_any, gtin_keys(row, (method,))):
                return _single(matches, method, method.upper())
    return None


async def link_listings(ctx: RunContext) -> None:
    engine, client = ctx.engine, ctx.client
    listings = await anyio.to_thread.run_sync(_load, engine, ctx.channel.id)
    total = len(listings)
    kept: dict[int, Any] = {}  # product id -> listing holding an existing link
    skus: dict[int, str] = {}

    linked = [row for row in listings if row.ecomdash_product_id is not None]
    if linked:
        found = await client.get_products("id", [str(row.ecomdash_product_id) for row in linked])
        skus.update({p.id: p.sku for p in found})
        for row in linked:
            if row.ecomdash_product_id in skus:
                kept[row.ecomdash_product_id] = row
                ctx.count("already_linked")
            else:
                ctx.count("link_lost")
    await ctx.progress(len(kept), total)
    candidates = [row for row in listings if row.ecomdash_product_id not in kept]

    indexes = await _gather(ctx, candidates)
    outcomes: dict[int, Outcome] = {}
    needs_scan = []
    for row in candidates:
        outcome = _match(row, indexes)
        if outcome is not None:
            outcomes[row.id] = outcome
        elif indexes.by_any is None and gtin_keys(row, ("ean", "gtin")):
            needs_scan.append(row)
    await ctx.progress(total - len(needs_scan), total)
    if needs_scan:
        # EAN and GTIN have no bulk lookup: one pass over the inventory, only when needed.
        await _scan(ctx, indexes)
        for row in needs_scan:
            if (outcome := _match(row, indexes)) is not None:
                outcomes[row.id] = outcome
    for row in candidates:
        outcomes.setdefault(
            row.id,
            Outcome("unmatched", message="no ecomdash product with this SKU, UPC, EAN or GTIN"),
        )
    await ctx.progress(total, total)

    _resolve_claims(outcomes, kept, {row.id: row for row in listings})
    for row in candidates:
        outcome = outcomes[row.id]
        ctx.count(
            {"linked": "linked", "unmatched": "unmatched", "conflict": "conflicts"}[outcome.state]
        )
        if outcome.state == "conflict":
            ctx.error(row.sku, f"conflict: {outcome.message}")
    for product_id, row in kept.items():
        # Kept as it is, but following the product's SKU if it was renamed in ecomdash.
        outcomes[row.id] = Outcome("linked", product_id, row.link_method, row.link_message)
    skus |= indexes.skus
    for outcome in outcomes.values():
        if outcome.product_id is not None:
            outcome.ecomdash_sku = skus.get(outcome.product_id)
    await anyio.to_thread.run_sync(_write, engine, listings, outcomes)
    if released := await anyio.to_thread.run_sync(_release_orders, engine, ctx.channel):
        ctx.count("orders_released", released)


def _release_orders(engine: Engine, channel: Any) -> int:
    """Orders held for an unknown SKU may now have their listing linked."""
    with engine.begin() as conn:
        return reevaluate_holds(conn, channel.id, channel.import_unknown_skus)


def _union(index: dict[str, set[int]], keys: set[str]) -> set[int]:
    return set().union(*(index.get(k, set()) for k in keys))


def _resolve_claims(
    outcomes: dict[int, Outcome], kept: dict[int, Any], rows: dict[int, Any]
) -> None:
    claims: dict[int, list[int]] = defaultdict(list)
    for listing_id, outcome in outcomes.items():
        if outcome.state == "linked" and outcome.product_id is not None:
            claims[outcome.product_id].append(listing_id)
    for product_id, listing_ids in claims.items():
        holder = kept.get(product_id)
        if holder is None and len(listing_ids) == 1:
            continue
        for listing_id in listing_ids:
            others = [rows[i].sku for i in listing_ids if i != listing_id]
            if holder is not None:
                others.insert(0, holder.sku)
            claimants = ", ".join(repr(s) for s in others)
            outcomes[listing_id] = Outcome(
                "conflict", message=f"ecomdash product {product_id} is also claimed by {claimants}"
            )


def _write(engine: Engine, rows: list[Any], outcomes: dict[int, Outcome]) -> None:
    now = utcnow()
    params = []
    for row in rows:
        o = outcomes[row.id]
        before = (
            row.ecomdash_product_id,
            row.ecomdash_sku,
            row.link_state,
            row.link_method,
            row.link_message,
        )
        if before == (o.product_id, o.ecomdash_sku, o.state, o.method, o.message):
            continue
        params.append(
            {
                "lid": row.id,
                "pid": o.product_id,
                "esku": o.ecomdash_sku,
                "state": o.state,
                "method": o.method,
                "message": o.message,
                "at": now if o.state == "linked" else None,
            }
        )
    if not params:
        return
    stmt = (
        update(LISTING)
        .where(LISTING.c.id == bindparam("lid"))
        .values(
            ecomdash_product_id=bindparam("pid"),
            ecomdash_sku=bindparam("esku"),
            link_state=bindparam("state"),
            link_method=bindparam("method"),
            link_message=bindparam("message"),
            linked_at=bindparam("at"),
        )
    )
    with engine.begin() as conn:
        conn.execute(stmt, params)
