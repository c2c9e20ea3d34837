"""A large SQLite CSV feed built by several processes, one SKU range each, as pigz does gzip.

The CSV writer's per-cell work holds the GIL, so one process keeps one core busy however many
threads it has. Here each worker process (``feed.export.csv_part``) reads its share of the rows
in SKU order and writes a plain part and a raw-deflate part (ended by a sync flush, the last by
a finish), and the parent concatenates them: the plain parts into the feed (hashed for the
ETag), the deflate parts between one gzip header and trailer into a single-member gzip file
that any client reads.

Every worker reads the channel's ``feed_generation`` in the same read transaction as its rows.
Every change to a feed bumps that number in the change's own transaction, so parts that saw the
build's generation saw the same listings; otherwise the parallel build is dropped and the
caller builds in one process.
"""

import hashlib
import json
import logging
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from feed.export.files import fsync_and_close
from feed.export.query import LISTING, csv_select
from feed.export.template import effective_template

logger = logging.getLogger(__name__)
# Below this many rows a second process costs more (start-up, merge) than it saves.
PARALLEL_MIN_ROWS = 200_000
COPY_CHUNK = 1 << 20
# A worker still running after this long is stopped and the feed built in one process.
WORKER_TIMEOUT = 3600.0
# gzip member header: magic, deflate, no flags, mtime 0, no extra flags, OS unknown.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


@dataclass
class Part:
    sql: str
    plain: str
    deflated: str
    header: bool
    last: bool


def _boundaries(conn: Connection, channel_id: int, processes: int) -> list[str] | None:
    """SKUs that cut the channel's listings into equal ranges, read off the (channel, SKU)
    index alone; the ranges may differ by the few listings that are not offered."""
    mine = LISTING.c.channel_id == channel_id
    rows = conn.execute(select(func.count()).select_from(LISTING).where(mine)).scalar_one()
    if rows < PARALLEL_MIN_ROWS:
        return None
    bounds = []
    for k in range(1, processes):
        sku = conn.execute(
            select(LISTING.c.sku)
            .where(mine)
            .order_by(LISTING.c.sku)
            .limit(1)
            .offset(rows * k // processes)
        ).scalar_one()
        bounds.append(sku)
    return bounds


def _part_sql(conn: Connection, channel: Any, low: str | None, high: str | None) -> str:
    stmt = csv_select(effective_template(channel.export_template), channel.id)
    if low is not None:
        stmt = stmt.where(LISTING.c.sku >= low)
    if high is not None:
        stmt = stmt.where(LISTING.c.sku < high)
    return str(stmt.compile(conn.engine, compile_kwargs={"literal_binds": True}))


def build_csv_in_parallel(
    conn: Connection, channel: Any, directory: Path, level: int, processes: int
) -> tuple[str, str, str, int] | None:
    """Writes the CSV feed and its gzip into temp files in ``directory``.

    Returns ``(plain path, gzip path, sha256 hex, rows)``, or None when the channel is too
    small or the listings changed under the workers (the caller then builds in one process).
    ``conn`` must be inside the read transaction the rest of the build uses.
    """
    db_path = conn.engine.url.database
    if not db_path or db_path == ":memory:":
        return None
    bounds = _boundaries(conn, channel.id, processes)
    if bounds is None:
        return None
    edges: list[str | None] = [None, *bounds, None]
    headers = [c.header for c in effective_template(channel.export_template)]
    parts = []
    for i in range(len(edges) - 1):
        plain = tempfile.NamedTemporaryFile(dir=directory, suffix=".part.tmp", delete=False)
        deflated = tempfile.NamedTemporaryFile(dir=directory, suffix=".part.z.tmp", delete=False)
        plain.close()
        deflated.close()
        parts.append(
            Part(
                sql=_part_sql(conn, channel, edges[i], edges[i + 1]),
                plain=plain.name,
                deflated=deflated.name,
                header=i == 0,
                last=i == len(edges) - 2,
            )
        )
    workers: list[subprocess.Popen[str]] = []
    try:
        jobs = [
            {
                "db_path": db_path,
                "channel_id": channel.id,
                "sql": part.sql,
                "plain": part.plain,
                "deflated": part.deflated,
                "header": part.header,
                "last": part.last,
                "headers": headers,
                "level": level,
                "bom": bool(channel.export_bom) and part.header,
                "neutralize_formulas": bool(channel.export_neutralize_formulas),
            }
            for part in parts
        ]
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "feed.export.csv_part", json.dumps(job)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for job in jobs
        ]
        deadline = time.monotonic() + WORKER_TIMEOUT
        try:
            outcomes = [
                worker.communicate(timeout=max(1.0, deadline - time.monotonic()))
                for worker in workers
            ]
        except subprocess.TimeoutExpired:
            logger.warning("feed.snapshot.parallel_timeout channel=%s", channel.id)
            return None
        for worker, (_, errors) in zip(workers, outcomes, strict=True):
            if worker.returncode != 0:
                logger.warning("feed.snapshot.parallel_failed error=%s", errors.strip()[-500:])
                return None
        results = [json.loads(output) for output, _ in outcomes]
        if any(r["generation"] != channel.feed_generation for r in results):
            logger.info("feed.snapshot.parallel_stale channel=%s", channel.id)
            return None
        plain, gz, digest = _merge(directory, parts)
        return plain, gz, digest, sum(r["rows"] for r in results)
    finally:
        for worker in workers:
            if worker.poll() is None:  # the build failed or was interrupted: stop the rest
                worker.kill()
                worker.communicate()
        for part in parts:
            for name in (part.plain, part.deflated):
                Path(name).unlink(missing_ok=True)


def _merge(directory: Path, parts: list[Part]) -> tuple[str, str, str]:
    """Concatenates the parts; returns (plain path, gzip path, sha256 hex)."""
    digest = hashlib.sha256()
    crc = 0
    size = 0
    plain = tempfile.NamedTemporaryFile(dir=directory, suffix=".csv.tmp", delete=False)
    gz = tempfile.NamedTemporaryFile(dir=directory, suffix=".csv.gz.tmp", delete=False)
    try:
        for part in parts:
            with open(part.plain, "rb") as f:
                while chunk := f.read(COPY_CHUNK):
                    plain.write(chunk)
                    digest.update(chunk)
                    crc = zlib.crc32(chunk, crc)
                    size += len(chunk)
        gz.write(GZIP_HEADER)
        for part in parts:
            with open(part.deflated, "rb") as f:
                while chunk := f.read(COPY_CHUNK):
                    gz.write(chunk)
        gz.write(struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
        fsync_and_close(plain)
        fsync_and_close(gz)
    except BaseException:
        for f in (plain, gz):
            f.close()
            Path(f.name).unlink(missing_ok=True)
        raise
    return plain.name, gz.name, digest.hexdigest()
