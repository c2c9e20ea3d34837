"""publish-listings: get offered listings that ecomdash does not have yet into ecomdash.

``publish_via = "feed"`` (the default, as the anchor platform does it): the listings are in
the custom-export feed; the run rebuilds it now so ecomdash's integrated import creates the
products on its next pull, and a later link-listings links them.

``publish_via = "api"``: each product is created with ecomdash's Create Product call and linked
at once. A create is never resent blindly: SKUs that ecomdash already has (say, from a run
that stopped mid-way) are linked instead of created again.
"""

from typing import Any

import anyio
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Engine

from feed.db import utcnow
from feed.ecomdash.errors import BadRequestError
from feed.export.rows import product_item
from feed.export.snapshot import build_snapshot
from feed.models import Listing
from feed.operations.link_listings import sku_key
from feed.operations.runs import RunContext

LISTING = Listing.__table__  # type: ignore[attr-defined]


def _unpublished(engine: Engine, channel_id: int) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(LISTING)
                .where(
                    LISTING.c.channel_id == channel_id,
                    LISTING.c.offered.is_(True),
                    LISTING.c.ecomdash_product_id.is_(None),
                    LISTING.c.link_state.in_(("unlinked", "unmatched")),
                )
                .order_by(LISTING.c.sku)
            ).mappings()
        )


def _link(engine: Engine, links: list[dict[str, Any]]) -> None:
    if not links:
        return
    with engine.begin() as conn:
        conn.execute(
            update(LISTING)
            .where(LISTING.c.id == bindparam("b_id"))
            .values(
                ecomdash_product_id=bindparam("b_pid"),
                ecomdash_sku=bindparam("b_sku"),
                link_state="linked",
                link_method=bindparam("b_method"),
                link_message=None,
                linked_at=utcnow(),
            ),
            links,
        )


async def publish_listings(ctx: RunContext) -> None:
    rows = await anyio.to_thread.run_sync(_unpublished, ctx.engine, ctx.channel.id)
    if ctx.channel.publish_via != "api":
        # Rebuilt now, so ecomdash's next pull of the link already carries them.
        await anyio.to_thread.run_sync(
            build_snapshot, ctx.engine, ctx.channel.id, ctx.data_dir, ctx.gzip_level
        )
        ctx.count("in_feed", len(rows))
        return
    existing = (
        {
            sku_key(p.sku): p
            for p in await ctx.client.get_products("sku", [row["sku"] for row in rows])
        }
        if rows
        else {}
    )
    adopted = [
        {
            "b_id": row["id"],
            "b_pid": existing[sku_key(row["sku"])].id,
            "b_sku": existing[sku_key(row["sku"])].sku,
            "b_method": "sku",
        }
        for row in rows
        if sku_key(row["sku"]) in existing
    ]
    await anyio.to_thread.run_sync(_link, ctx.engine, adopted)
    if adopted:
        ctx.count("adopted", len(adopted))
    for done, row in enumerate(rows, start=1):
        if sku_key(row["sku"]) in existing:
            continue
        body = product_item(row)
        body.pop("Extra", None)
        try:
            product = await ctx.client.create_product(body)
        except BadRequestError as exc:
            ctx.count("failed")
            ctx.error(row["sku"], f"create: {exc.message}")
            continue
        # Linked right away, so a run that stops after this point never creates it twice.
        await anyio.to_thread.run_sync(
            _link,
            ctx.engine,
            [{"b_id": row["id"], "b_pid": product.id, "b_sku": product.sku, "b_method": "created"}],
        )
        ctx.count("created")
        await ctx.progress(done, len(rows))
