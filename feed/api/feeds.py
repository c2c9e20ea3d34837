"""Public feed links: ``GET/HEAD /feeds/{token}.csv|.json``, served from the finished snapshot.

No bearer token: the unguessable token in the path is the secret (ecomdash's integrated
import fetches a plain URL). Conditional requests are answered from the snapshot's metadata
without opening the file.
"""

import re
import time
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Engine

from feed.crypto import hash_token
from feed.db import utcnow
from feed.errors import FeedNotReadyError, NotFoundError
from feed.export.snapshot import channel_dir
from feed.models import Channel, FeedSnapshot

router = APIRouter(tags=["feeds"])

CHANNEL = Channel.__table__  # type: ignore[attr-defined]
SNAPSHOT = FeedSnapshot.__table__  # type: ignore[attr-defined]
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
_NAME = re.compile(r"^([A-Za-z0-9_-]{16,128})\.(csv|json)$")
_GZIP = re.compile(r"(?:^|,)\s*gzip\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*(?:,|$)", re.IGNORECASE)


class FeedNotFoundError(NotFoundError):
    pass


def _accepts_gzip(header: str | None) -> bool:
    if not header:
        return False
    m = _GZIP.search(header)
    if m is None:
        return False
    try:
        return m.group(1) is None or float(m.group(1)) > 0
    except ValueError:
        return False


def _not_modified(request: Request, etags: tuple[str, ...], built_at: datetime) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return any(t in tags for t in etags)
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        return since.tzinfo is not None and built_at.replace(microsecond=0) <= since
    return False


def _bytes_sent(request: Request, size: int) -> tuple[int, int]:
    if request.method == "HEAD":
        return 200, 0
    m = re.fullmatch(r"bytes=(\d*)-(\d*)", request.headers.get("range", ""))
    if m is None or not (m.group(1) or m.group(2)):
        return 200, size
    start = int(m.group(1)) if m.group(1) else max(size - int(m.group(2)), 0)
    end = int(m.group(2)) + 1 if m.group(1) and m.group(2) else size
    return 206, max(min(end, size) - start, 0)


_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/csv": {}, "application/json": {}}, "description": "The feed"},
    304: {"description": "Not modified"},
    404: {"description": "Unknown or rotated token"},
    503: {"description": "The channel's first feed is still being built"},
}


def _lookup(engine: Engine, token_hash: str, fmt: str, now: datetime) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            select(CHANNEL.c.id, CHANNEL.c.name, SNAPSHOT)
            .select_from(
                CHANNEL.outerjoin(
                    SNAPSHOT, and_(SNAPSHOT.c.channel_id == CHANNEL.c.id, SNAPSHOT.c.format == fmt)
                )
            )
            .where(
                or_(
                    CHANNEL.c.feed_token_hash == token_hash,
                    and_(
                        CHANNEL.c.previous_token_hash == token_hash,
                        CHANNEL.c.previous_token_expires_at > now,
                    ),
                )
            )
        ).first()


class FeedLookupCache:
    """Remembers a token's snapshot row for a moment, so revalidation bursts skip the database.

    Changes made by this process clear it at once; another replica's changes show within
    ``ttl`` seconds. Only hits are kept, so random tokens cannot grow it.
    """

    MAX_ENTRIES = 10_000

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._entries: dict[tuple[str, str], tuple[float, Any]] = {}

    def get(self, key: tuple[str, str]) -> Any:
        entry = self._entries.get(key)
        if entry is not None and time.monotonic() - entry[0] < self._ttl:
            return entry[1]
        return None

    def put(self, key: tuple[str, str], row: Any) -> None:
        if self._ttl <= 0:
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (time.monotonic(), row)

    def clear(self) -> None:
        self._entries.clear()


async def get_feed(name: str, request: Request) -> Response:
    m = _NAME.match(name)
    if m is None:
        raise FeedNotFoundError("feed not found")
    token, fmt = m.groups()
    token_hash = hash_token(token)
    now = utcnow()
    cache: FeedLookupCache = request.app.state.feed_cache
    row = cache.get((token_hash, fmt))
    if row is None:
        engine = request.app.state.engine
        row = await anyio.to_thread.run_sync(_lookup, engine, token_hash, fmt, now)
        if row is not None and row.file_name is not None:
            cache.put((token_hash, fmt), row)
    if row is None:
        raise FeedNotFoundError("feed not found")
    if row.file_name is None:
        raise FeedNotReadyError("the feed is being built", headers={"Retry-After": "5"})

    gzip = _accepts_gzip(request.headers.get("accept-encoding"))
    etag = f'"{row.etag}"'
    gzip_etag = f'"{row.etag}-gzip"'
    built_at: datetime = row.built_at
    headers = {
        "ETag": gzip_etag if gzip else etag,
        "Last-Modified": format_datetime(built_at.replace(microsecond=0), usegmt=True),
        "Cache-Control": "no-cache",
        "Vary": "Accept-Encoding",
        "X-Feed-Rows": str(row.rows),
    }
    log = request.app.state.fetch_log
    client = request.client.host if request.client else None
    user_agent = request.headers.get("user-agent")
    counter = request.app.state.metrics.feed_requests
    if _not_modified(request, (etag, gzip_etag), built_at):
        counter.labels(fmt, "304").inc()
        log.record(
            channel_id=row.id,
            at=now,
            format=fmt,
            status=304,
            bytes=0,
            client=client,
            user_agent=user_agent,
        )
        return Response(status_code=304, headers=headers)

    directory: Path = channel_dir(request.app.state.settings.DATA_DIR, row.id)
    path = directory / (row.gzip_file_name if gzip else row.file_name)
    if gzip:
        headers["Content-Encoding"] = "gzip"
    size = row.gzip_size if gzip else row.size
    status, sent = _bytes_sent(request, size)
    counter.labels(fmt, str(status)).inc()
    log.record(
        channel_id=row.id,
        at=now,
        format=fmt,
        status=status,
        bytes=sent,
        client=client,
        user_agent=user_agent,
    )
    return FileResponse(
        path,
        headers=headers,
        media_type=MEDIA_TYPES[fmt],
        filename=f"{row.name}.{fmt}",
        content_disposition_type="inline",
    )


router.add_api_route(
    "/feeds/{name}", get_feed, methods=["GET"], response_class=Response, responses=_RESPONSES
)
router.add_api_route(
    "/feeds/{name}",
    get_feed,
    methods=["HEAD"],
    response_class=Response,
    responses=_RESPONSES,
    operation_id="head_feed",
)
