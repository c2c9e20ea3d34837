"""Feed files: written to temp files while a second thread hashes and gzips the same bytes,
then renamed to their content-addressed names (``<sha256>.<fmt>`` and ``.gz``)."""

import hashlib
import io
import os
import queue
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUFFER_SIZE = 1 << 20


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


def fsync_and_close(f: Any) -> None:
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
        fsync_and_close(plain)
        fsync_and_close(gz)
        return install(directory, fmt, plain.name, gz.name, digest, rows, started)
    except BaseException:
        sink.abandon()
        for f in (plain, gz):
            f.close()
            Path(f.name).unlink(missing_ok=True)
        raise
