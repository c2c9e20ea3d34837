"""Streams feed rows into bytes: RFC 4180 CSV and a JSON array, one item per line."""

import csv
import io
import itertools
import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from feed.export.rows import product_item

UTF8_BOM = "\ufeff"
_first = operator.itemgetter(0)


def write_csv(
    out: io.BufferedIOBase, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool
) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
    try:
        if bom:
            text.write(UTF8_BOM)
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(headers)
        # Count rows without a Python-level loop: zip and itemgetter keep it all in C.
        counter = itertools.count()
        writer.writerows(map(_first, zip(rows, counter, strict=False)))
        text.flush()
        return next(counter)
    finally:
        text.detach()


def write_json(out: io.BufferedIOBase, listings: Iterable[Mapping[str, Any]]) -> int:
    out.write(b"[")
    count = 0
    for listing in listings:
        out.write(b"\n" if count == 0 else b",\n")
        out.write(orjson.dumps(product_item(listing)))
        count += 1
    out.write(b"\n]\n" if count else b"]\n")
    return count
