"""The acknowledgement step of get-orders: a channel option, off by default.

ecomdash documents no acknowledgement call, so exactly-once rests on our own record: an order
is committed first and acknowledged only afterwards, by a POST to the channel's
``order_ack_url`` (the merchant's order system, say). A failed acknowledgement is recorded on
the order and retried by the next run, which never imports the order again. A receiver can see
an order twice (we crashed after its answer, before recording it), so every POST carries an
``Idempotency-Key`` that names the order.
"""

import logging
from datetime import timedelta
from typing import Any

import anyio
import httpx
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from feed.db import utcnow
from feed.operations.holds import ORDER
from feed.operations.runs import RunContext

logger = logging.getLogger(__name__)
ACK_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# A receiver that fails this many times in a row is left alone until the next run.
MAX_CONSECUTIVE_FAILURES = 5


def idempotency_key(channel_id: int, ecomdash_order_id: int) -> str:
    return f"ecomdash-feed:{channel_id}:{ecomdash_order_id}"


def _pending(engine: Engine, channel: Any) -> list[Any]:
    """Unacknowledged orders imported within the channel's order window, oldest first."""
    since = utcnow() - timedelta(days=channel.order_days)
    with engine.connect() as conn:
        return conn.execute(
            select(
                ORDER.c.id,
                ORDER.c.ecomdash_order_id,
                ORDER.c.storefront_type,
                ORDER.c.storefront_order_number,
                ORDER.c.state,
                ORDER.c.hold_reasons,
                ORDER.c.imported_at,
            )
            .where(
                ORDER.c.channel_id == channel.id,
                ORDER.c.acknowledged_at.is_(None),
                ORDER.c.imported_at >= since,
            )
            .order_by(ORDER.c.id)
        ).all()


def _record(engine: Engine, order_id: int, error: str | None) -> None:
    values: dict[str, Any] = {"ack_attempts": ORDER.c.ack_attempts + 1, "ack_error": error}
    if error is None:
        values["acknowledged_at"] = utcnow()
    with engine.begin() as conn:
        conn.execute(update(ORDER).where(ORDER.c.id == order_id).values(values))


def _body(channel: Any, order: Any) -> dict[str, Any]:
    return {
        "channel_id": channel.id,
        "channel": channel.name,
        "order_id": order.id,
        "ecomdash_order_id": order.ecomdash_order_id,
        "storefront_type": order.storefront_type,
        "storefront_order_number": order.storefront_order_number,
        "state": order.state,
        "hold_reasons": order.hold_reasons,
        "imported_at": order.imported_at.isoformat(),
    }


async def _send(http: httpx.AsyncClient, url: str, channel: Any, order: Any) -> str | None:
    """Posts one acknowledgement; returns why it failed, or None."""
    headers = {"Idempotency-Key": idempotency_key(channel.id, order.ecomdash_order_id)}
    try:
        response = await http.post(url, json=_body(channel, order), headers=headers)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if response.is_success:
        return None
    return f"HTTP {response.status_code}: {response.text[:200]}"


async def acknowledge_orders(ctx: RunContext) -> None:
    """Acknowledges every committed, unacknowledged order of the channel's window."""
    channel = ctx.channel
    if not channel.acknowledge_orders or not channel.order_ack_url:
        return
    pending = await anyio.to_thread.run_sync(_pending, ctx.engine, channel)
    failures = 0
    async with httpx.AsyncClient(
        timeout=ACK_TIMEOUT,
        transport=ctx.client.transport,
        headers={"User-Agent": "ecomdash-feed"},
    ) as http:
        for order in pending:
            if failures >= MAX_CONSECUTIVE_FAILURES:
                ctx.count("ack_deferred")
                continue
            error = await _send(http, channel.order_ack_url, channel, order)
            await anyio.to_thread.run_sync(_record, ctx.engine, order.id, error)
            if error is None:
                failures = 0
                ctx.count("acknowledged")
                continue
            failures += 1
            ctx.count("ack_failed")
            ctx.error(None, f"order {order.id}: acknowledgement failed, retried next run: {error}")
            logger.warning(
                "feed.orders.ack_failed channel=%s order=%s error=%s", channel.id, order.id, error
            )
