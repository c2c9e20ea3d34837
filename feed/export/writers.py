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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(cell: Any) -> Any:
    """``'=HYPERLINK(..)`` instead of a live formula; signed numbers stay numbers."""
    if not isinstance(cell, str) or not cell.startswith(FORMULA_STARTS):
        return cell
    if cell[0] in "+-":
        try:
            float(cell)
        except ValueError:
            pass
        else:
            return cell
    return "'" + cell


def _neutralize_row(row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(map(neutralize, row))


def write_csv(
    out: io.BufferedIOBase,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    bom: bool,
    neutralize_formulas: bool = False,
    header: bool = True,
) -> int:
    if neutralize_formulas:
        rows = map(_neutralize_row, rows)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
    try:
        if bom:
            text.write(UTF8_BOM)
        writer = csv.writer(text, lineterminator="\r\n")
        if header:
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
