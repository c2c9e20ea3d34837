"""Operations a channel runs against ecomdash; each is ``async def op(ctx: RunContext)``."""

from feed.operations.get_orders import get_orders
from feed.operations.link_listings import link_listings
from feed.operations.publish_listings import publish_listings
from feed.operations.runs import Operation
from feed.operations.sync_listings import sync_listings
from feed.operations.sync_orders import sync_orders

OPERATIONS: dict[str, Operation] = {
    "link-listings": link_listings,
    "sync-listings": sync_listings,
    "publish-listings": publish_listings,
    "get-orders": get_orders,
    "sync-orders": sync_orders,
}
