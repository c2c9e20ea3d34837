"""Builds a channel's feeds into content-addressed files and swaps them in atomically.

A build streams rows into a temp file while a second thread hashes and gzips the same bytes,
fsyncs both, renames them to ``<sha256>.<fmt>`` and only then points the ``feed_snapshot`` row
at them. Readers always resolve the row first, so they get the old or the new file, whole; a
failed build leaves the last good snapshot in place.
"""

import functools
import io
import itertools
import logging
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, Engine

from feed.db import upsert_statement, utcnow
from feed.export.files import BuiltFile, build_file, install
from feed.export.parallel import build_csv_in_parallel
from feed.export.query import csv_select, listing_select
from feed.export.template import effective_template
from feed.export.writers import write_csv, write_json
from feed.models import Channel, FeedSnapshot

logger = logging.getLogger(__name__)

FORMATS = ("csv", "json")
STREAM_BATCH = 5000
# Superseded files stay this long so a reader that resolved the old row can still open them.
GC_GRACE_SECONDS = 300

CHANNEL = Channel.__table__  # type: ignore[attr-defined]
SNAPSHOT = FeedSnapshot.__table__  # type: ignore[attr-defined]


def channel_dir(data_dir: Path, channel_id: int) -> Path:
    return data_dir / "feeds" / str(channel_id)


def _text_rows(conn: Connection, result: Any) -> Iterator[Sequence[Any]]:
    if conn.dialect.name == "sqlite":
        # Every column is already text from SQL and pysqlite's cursor holds every row still
        # unread, so its tuples go straight to the csv module: no Python code runs per row.
        fetch = functools.partial(result.cursor.fetchmany, STREAM_BATCH)
        return itertools.chain.from_iterable(iter(fetch, []))
    # A server-side cursor may have lent its first row to SQLAlchemy's buffer: go through it.
    return itertools.chain.from_iterable(result.partitions(STREAM_BATCH))


def csv_producer(conn: Connection, channel: Any) -> Any:
    template = effective_template(channel.export_template)
    headers = [c.header for c in template]
    # SQLite's cursor steps lazily; PostgreSQL needs a server-side cursor to stream.
    streaming = conn.execution_options(stream_results=conn.dialect.name != "sqlite")

    def produce(out: io.BufferedIOBase) -> int:
        result = streaming.execute(csv_select(template, channel.id))
        try:
            return write_csv(
                out,
                headers,
                _text_rows(conn, result),
                bom=channel.export_bom,
                neutralize_formulas=channel.export_neutralize_formulas,
            )
        finally:
            result.close()

    return produce


def json_producer(conn: Connection, channel: Any) -> Any:
    streaming = conn.execution_options(stream_results=True, yield_per=STREAM_BATCH)

    def produce(out: io.BufferedIOBase) -> int:
        return write_json(out, streaming.execute(listing_select(channel.id)).mappings())

    return produce


def _csv_file(
    conn: Connection, channel: Any, directory: Path, level: int, processes: int
) -> BuiltFile:
    if processes > 1 and conn.dialect.name == "sqlite":
        started = time.perf_counter()
        parallel = build_csv_in_parallel(conn, channel, directory, level, processes)
        if parallel is not None:
            plain, gz, digest, rows = parallel
            return install(directory, "csv", plain, gz, digest, rows, started)
    return build_file(directory, "csv", level, csv_producer(conn, channel))


def _read_and_write(
    conn: Connection, channel: Any, directory: Path, level: int, processes: int
) -> list[BuiltFile]:
    return [
        _csv_file(conn, channel, directory, level, processes),
        build_file(directory, "json", level, json_producer(conn, channel)),
    ]


def build_snapshot(
    engine: Engine, channel_id: int, data_dir: Path, gzip_level: int = 6, *, processes: int = 1
) -> bool:
    """Builds both formats for a channel; returns False if the channel no longer exists.

    ``processes`` > 1 lets a large SQLite CSV feed be written by that many processes."""
    directory = channel_dir(data_dir, channel_id)
    directory.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # Both formats read one consistent view of the listings.
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            channel = conn.execute(select(CHANNEL).where(CHANNEL.c.id == channel_id)).first()
            if channel is None:
                return False
            built = _read_and_write(conn, channel, directory, gzip_level, processes)
    _record(engine, channel_id, channel.feed_generation, built)
    for b in built:
        logger.info(
            "feed.snapshot.built channel=%s format=%s rows=%s bytes=%s gzip_bytes=%s seconds=%.3f",
            channel_id,
            b.file_name.rsplit(".", 1)[1],
            b.rows,
            b.size,
            b.gzip_size,
            b.build_seconds,
        )
    collect_garbage(engine, channel_id, data_dir)
    return True


def _record(engine: Engine, channel_id: int, generation: int, built: list[BuiltFile]) -> None:
    now = utcnow()
    with engine.begin() as conn:
        if conn.execute(select(CHANNEL.c.id).where(CHANNEL.c.id == channel_id)).first() is None:
            return
        existing = {
            r.format: r
            for r in conn.execute(select(SNAPSHOT).where(SNAPSHOT.c.channel_id == channel_id))
        }
        rows = []
        for fmt, b in zip(FORMATS, built, strict=True):
            old = existing.get(fmt)
            # Unchanged content keeps its Last-Modified, so If-Modified-Since stays useful.
            built_at = old.built_at if old is not None and old.etag == b.etag else now
            rows.append(
                {
                    "channel_id": channel_id,
                    "format": fmt,
                    "file_name": b.file_name,
                    "gzip_file_name": b.gzip_file_name,
                    "etag": b.etag,
                    "size": b.size,
                    "gzip_size": b.gzip_size,
                    "rows": b.rows,
                    "built_at": built_at,
                    "build_seconds": b.build_seconds,
                }
            )
        stmt = upsert_statement(
            conn,
            SNAPSHOT,
            ["channel_id", "format"],
            [
                "file_name",
                "gzip_file_name",
                "etag",
                "size",
                "gzip_size",
                "rows",
                "built_at",
                "build_seconds",
            ],
        )
        conn.execute(stmt, rows)
        conn.execute(
            update(CHANNEL)
            .where(CHANNEL.c.id == channel_id, CHANNEL.c.feed_built_generation < generation)
            .values(feed_built_generation=generation, feed_last_error=None)
        )
        conn.execute(
            update(CHANNEL)
            .where(CHANNEL.c.id == channel_id, CHANNEL.c.feed_generation <= generation)
            .values(feed_pending_since=None)
        )


def record_failure(engine: Engine, channel_id: int, error: str) -> None:
    """Keeps serving the last good snapshot and retries after the debounce period."""
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            update(CHANNEL)
            .where(CHANNEL.c.id == channel_id)
            .values(feed_last_error=error[:1000], feed_changed_at=now, feed_pending_since=now)
        )


def collect_garbage(engine: Engine, channel_id: int, data_dir: Path) -> None:
    directory = channel_dir(data_dir, channel_id)
    with engine.connect() as conn:
        live = {
            name
            for r in conn.execute(select(SNAPSHOT).where(SNAPSHOT.c.channel_id == channel_id))
            for name in (r.file_name, r.gzip_file_name)
        }
    cutoff = time.time() - GC_GRACE_SECONDS
    for path in directory.iterdir():
        try:
            if path.name not in live and path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass


def remove_channel_files(engine: Engine, channel_id: int, data_dir: Path) -> None:
    with engine.begin() as conn:
        conn.execute(delete(SNAPSHOT).where(SNAPSHOT.c.channel_id == channel_id))
    shutil.rmtree(channel_dir(data_dir, channel_id), ignore_errors=True)
