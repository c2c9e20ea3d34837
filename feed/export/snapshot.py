"""Builds a channel's feeds into content-addressed files and swaps them in atomically.

A build streams rows into a temp file while a second thread hashes and gzips the same bytes,
fsyncs both, renames them to ``<sha256>.<fmt>`` and only then points the ``feed_snapshot`` row
at them. Readers always resolve the row first, so they get the old or the new file, whole; a
failed build leaves the last good snapshot in place.
"""

import functools
import hashlib
import io
import itertools
import logging
import os
import queue
import shutil
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, Engine

from feed.db import upsert_statement, utcnow
from feed.export.parallel import build_csv_in_parallel
from feed.export.query import csv_select, listing_select
from feed.export.template import effective_template
from feed.export.writers import write_csv, write_json
from feed.models import Channel, FeedSnapshot

logger = logging.getLogger(__name__)

FORMATS = ("csv", "json")
STREAM_BATCH = 5000
BUFFER_SIZE = 1 << 20
# Superseded files stay this long so a reader that resolved the old row can still open them.
GC_GRACE_SECONDS = 300

CHANNEL = Channel.__table__  # type: ignore[attr-defined]
SNAPSHOT = FeedSnapshot.__table__  # type: ignore[attr-defined]


def channel_dir(data_dir: Path, channel_id: int) -> Path:
    return data_dir / "feeds" / str(channel_id)


class _HashingGzipSink(io.RawIOBase):
    """Hands each chunk to a worker thread that writes, hashes and gzips it.

    File writes, zlib and hashlib all release the GIL on large buffers, so on two cores the
    thread producing rows rarely waits for them.
    """

    def __init__(self, plain: Any, gz: Any, level: int) -> None:
        self._plain = plain
        self._gz = gz
        self._level = level
        self._hash = hashlib.sha256()
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self.size = 0
        self._thread = threading.Thread(target=self._compress, name="feed-gzip", daemon=True)
        self._thread.start()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        chunk = bytes(b)
        self.size += len(chunk)
        if self._error is None:
            self._queue.put(chunk)
        return len(chunk)

    def _compress(self) -> None:
        compressor = zlib.compressobj(self._level, zlib.DEFLATED, 31)
        while (chunk := self._queue.get()) is not None:
            if self._error is not None:
                continue
            try:
                self._plain.write(chunk)
                self._hash.update(chunk)
                self._gz.write(compressor.compress(chunk))
            except BaseException as exc:  # surfaced by finish()
                self._error = exc
        if self._error is None:
            self._gz.write(compressor.flush())

    def finish(self) -> str:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._hash.hexdigest()

    def abandon(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()


@dataclass
class BuiltFile:
    file_name: str
    gzip_file_name: str
    etag: str
    size: int
    gzip_size: int
    rows: int
    build_seconds: float


def _fsync_and_close(f: Any) -> None:
    f.flush()
    os.fsync(f.fileno())
    f.close()


def install(
    directory: Path, fmt: str, plain: str, gz: str, digest: str, rows: int, started: float
) -> BuiltFile:
    """Renames finished temp files to their content-addressed names."""
    etag = digest[:32]
    file_name, gzip_name = f"{etag}.{fmt}", f"{etag}.{fmt}.gz"
    os.replace(plain, directory / file_name)
    if (directory / gzip_name).exists():
        # Same content, built again: keep the gzip bytes a client may be resuming a range of.
        Path(gz).unlink()
    else:
        os.replace(gz, directory / gzip_name)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return BuiltFile(
        file_name=file_name,
        gzip_file_name=gzip_name,
        etag=etag,
        size=(directory / file_name).stat().st_size,
        gzip_size=(directory / gzip_name).stat().st_size,
        rows=rows,
        build_seconds=time.perf_counter() - started,
    )


def build_file(directory: Path, fmt: str, gzip_level: int, produce: Any) -> BuiltFile:
    started = time.perf_counter()
    plain = tempfile.NamedTemporaryFile(dir=directory, suffix=f".{fmt}.tmp", delete=False)
    gz = tempfile.NamedTemporaryFile(dir=directory, suffix=f".{fmt}.gz.tmp", delete=False)
    sink = _HashingGzipSink(plain, gz, gzip_level)
    try:
        out = io.BufferedWriter(sink, BUFFER_SIZE)
        rows = produce(out)
        out.flush()
        digest = sink.finish()
        _fsync_and_close(plain)
        _fsync_and_close(gz)
        return install(directory, fmt, plain.name, gz.name, digest, rows, started)
    except BaseException:
        sink.abandon()
        for f in (plain, gz):
            f.close()
            Path(f.name).unlink(missing_ok=True)
        raise


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
