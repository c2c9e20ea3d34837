"""One SKU range of a CSV feed, plain and raw-deflated, written by a worker process.

``python -m feed.export.csv_part JOB`` takes its job as a JSON argument and prints what it
wrote as JSON; ``feed.export.parallel`` starts one per range. A plain process, not
``multiprocessing``: nothing of the parent (its ``__main__``, its threads) is re-run or copied.
"""

import io
import itertools
import json
import sqlite3
import sys
import zlib
from typing import Any

from feed.export.writers import write_csv

BUFFER_SIZE = 1 << 20
FETCH_BATCH = 5000


class _PlainAndDeflate(io.RawIOBase):
    def __init__(self, plain: Any, deflated: Any, level: int) -> None:
        self._plain, self._deflated = plain, deflated
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, -15)

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self._plain.write(b)
        self._deflated.write(self._compressor.compress(b))
        return len(b)

    def end(self, last: bool) -> None:
        # A sync flush ends on a byte boundary without closing the stream, so the next part's
        # deflate data can follow it; the last part finishes the stream.
        self._deflated.write(self._compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH))


def write_part(job: dict[str, Any]) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{job['db_path']}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute("BEGIN")
        # The first read fixes the transaction's snapshot: the rows below are of this version.
        generation = conn.execute(
            "SELECT feed_generation FROM channel WHERE id = ?", (job["channel_id"],)
        ).fetchone()[0]
        cursor = conn.execute(job["sql"])
        batches = iter(lambda: cursor.fetchmany(FETCH_BATCH), [])
        with open(job["plain"], "wb") as plain, open(job["deflated"], "wb") as deflated:
            sink = _PlainAndDeflate(plain, deflated, job["level"])
            out = io.BufferedWriter(sink, BUFFER_SIZE)
            rows = write_csv(
                out,
                job["headers"],
                itertools.chain.from_iterable(batches),
                bom=job["bom"],
                neutralize_formulas=job["neutralize_formulas"],
                header=job["header"],
            )
            out.flush()
            sink.end(job["last"])
        conn.execute("COMMIT")
        return {"generation": generation, "rows": rows}
    finally:
        conn.close()


def main() -> None:
    result = write_part(json.loads(sys.argv[1]))
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    main()
