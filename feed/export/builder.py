"""Coalesces listing/template changes into feed rebuilds that run in the background.

A change bumps the channel's ``feed_generation`` in the same transaction as the change itself;
the builder rebuilds a channel once its changes have been quiet for the debounce period (or
have been pending for the maximum delay), so a burst of imports costs one build. Fetching a
feed never triggers a build.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import anyio
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Connection, Engine

from feed.db import utcnow
from feed.export.snapshot import build_snapshot, record_failure
from feed.models import Channel

logger = logging.getLogger(__name__)

CHANNEL = Channel.__table__  # type: ignore[attr-defined]


def request_rebuild(conn: Connection, channel_id: int) -> None:
    now = utcnow()
    conn.execute(
        update(CHANNEL)
        .where(CHANNEL.c.id == channel_id)
        .values(
            feed_generation=CHANNEL.c.feed_generation + 1,
            feed_changed_at=now,
            feed_pending_since=func.coalesce(CHANNEL.c.feed_pending_since, now),
        )
    )


def due_channel_ids(
    conn: Connection, now: datetime, debounce: float, max_delay: float
) -> list[int]:
    quiet_since = now - timedelta(seconds=debounce)
    pending_since = now - timedelta(seconds=max_delay)
    rows = conn.execute(
        select(CHANNEL.c.id)
        .where(
            and_(
                CHANNEL.c.feed_built_generation < CHANNEL.c.feed_generation,
                or_(
                    CHANNEL.c.feed_changed_at.is_(None),
                    CHANNEL.c.feed_changed_at <= quiet_since,
                    CHANNEL.c.feed_pending_since <= pending_since,
                ),
            )
        )
        .order_by(CHANNEL.c.id)
    )
    return [r.id for r in rows]


def build_and_record(
    engine: Engine, channel_id: int, data_dir: Path, gzip_level: int, *, processes: int = 1
) -> None:
    try:
        build_snapshot(engine, channel_id, data_dir, gzip_level, processes=processes)
    except Exception as exc:
        logger.exception("feed.snapshot.failed channel=%s", channel_id)
        record_failure(engine, channel_id, f"{type(exc).__name__}: {exc}")


def build_due(
    engine: Engine,
    data_dir: Path,
    gzip_level: int,
    debounce: float,
    max_delay: float,
    on_built: Callable[[], None] | None = None,
    processes: int = 1,
) -> int:
    with engine.connect() as conn:
        ids = due_channel_ids(conn, utcnow(), debounce, max_delay)
    for channel_id in ids:
        build_and_record(engine, channel_id, data_dir, gzip_level, processes=processes)
        if on_built is not None:
            on_built()
    return len(ids)


async def run_builder(
    engine: Engine,
    data_dir: Path,
    *,
    gzip_level: int,
    debounce: float,
    max_delay: float,
    poll: float,
    on_built: Callable[[], None] | None = None,
    processes: int = 1,
) -> None:
    """Polls for due channels until cancelled; builds run in a worker thread."""
    while True:
        try:
            await anyio.to_thread.run_sync(
                build_due,
                engine,
                data_dir,
                gzip_level,
                debounce,
                max_delay,
                on_built,
                processes,
            )
        except Exception:
            logger.exception("feed.builder.error")
        await asyncio.sleep(poll)
