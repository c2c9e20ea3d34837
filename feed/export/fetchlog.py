"""Who fetched a channel's feed, buffered in memory and written in batches.

A merchant uses it to see whether ecomdash actually pulls the link; buffering keeps the feed
endpoint free of a database write per request.
"""

import threading
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from feed.models import Channel, FeedFetch

FETCH = FeedFetch.__table__  # type: ignore[attr-defined]
CHANNEL = Channel.__table__  # type: ignore[attr-defined]


class FetchLog:
    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def record(
        self,
        *,
        channel_id: int,
        at: datetime,
        format: str,
        status: int,
        bytes: int,
        client: str | None,
        user_agent: str | None,
    ) -> None:
        entry = {
            "channel_id": channel_id,
            "at": at,
            "format": format,
            "status": status,
            "bytes": bytes,
            "client": (client or "")[:100] or None,
            "user_agent": (user_agent or "")[:300] or None,
        }
        with self._lock:
            self._pending.append(entry)

    def flush(self, engine: Engine) -> int:
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return 0
        channels = {e["channel_id"] for e in pending}
        with engine.begin() as conn:
            # A channel deleted since the fetch takes its log with it.
            live = set(
                conn.execute(select(CHANNEL.c.id).where(CHANNEL.c.id.in_(channels))).scalars()
            )
            rows = [e for e in pending if e["channel_id"] in live]
            if rows:
                conn.execute(insert(FETCH), rows)
            for channel_id in live:
                keep = (
                    select(FETCH.c.id)
                    .where(FETCH.c.channel_id == channel_id)
                    .order_by(FETCH.c.id.desc())
                    .limit(self._keep)
                    .scalar_subquery()
                )
                conn.execute(
                    delete(FETCH).where(FETCH.c.channel_id == channel_id, FETCH.c.id.not_in(keep))
                )
        return len(pending)
