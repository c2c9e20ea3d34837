"""All-or-nothing bulk upsert of listings from CSV or JSON.

Rows are validated and written in batches inside one transaction; the first invalid row stops
the writing, validation goes on to report every error (up to a cap), and the transaction is
rolled back, so stored data is untouched unless the whole file is good.
"""

import csv
import io
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from feed.catalog.fields import DEFAULTS, PARSERS, header_target
from feed.catalog.offers import refresh_offers
from feed.db import upsert_statement, utcnow
from feed.errors import ImportRejectedError
from feed.export.builder import request_rebuild
from feed.models import Listing
from feed.schemas import ImportResult

logger = logging.getLogger(__name__)

LISTING = Listing.__table__  # type: ignore[attr-defined]
BATCH_SIZE = 1000
# Raised by the CSV module when a single cell is larger than this.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass
class Record:
    row: int
    values: dict[str, Any]
    columns: dict[str, str] = field(default_factory=dict)  # field -> column name for errors


def _error(row: int | None, column: str | None, message: str) -> dict[str, Any]:
    return {"row": row, "column": column, "message": message}


def _decoded_lines(data: BinaryIO, position: list[int]) -> Iterator[str]:
    for line_number, raw in enumerate(data, start=1):
        if line_number == 1:
            if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise ImportRejectedError(
                    [_error(1, None, "file is UTF-16, not UTF-8: save it as 'CSV UTF-8'")]
                )
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportRejectedError(
                [
                    _error(
                        position[0] + 1,
                        None,
                        f"file is not UTF-8: byte 0x{raw[exc.start]:02x} on line {line_number}",
                    )
                ]
            ) from None


def csv_records(data: BinaryIO) -> Iterator[Record]:
    """Records from a CSV file; ``row`` counts records as a spreadsheet does (header = 1)."""
    position = [0]
    reader = csv.reader(_decoded_lines(data, position), strict=True)
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportRejectedError([_error(1, None, "file is empty")]) from None
    except csv.Error as exc:
        raise ImportRejectedError([_error(1, None, f"malformed CSV: {exc}")]) from None
    targets = [header_target(h) for h in headers]
    header_errors = []
    seen: dict[str, str] = {}
    for header, target in zip(headers, targets, strict=True):
        if not header.strip():
            header_errors.append(_error(1, header, "empty column header"))
        key = target or f"attr:{header.strip()}"
        if key in seen:
            header_errors.append(_error(1, header, f"same field as column {seen[key]!r}"))
        seen[key] = header
    if "sku" not in targets:
        header_errors.append(_error(1, "sku", "no SKU column"))
    if "images" in targets and any(t and t.startswith("image_") for t in targets):
        header_errors.append(_error(1, None, "use either an images column or image_N columns"))
    if header_errors:
        raise ImportRejectedError(header_errors)
    image_columns = sorted(
        (int(t.split("_")[1]), i) for i, t in enumerate(targets) if t and t.startswith("image_")
    )
    attribute_columns = [i for i, t in enumerate(targets) if t is None]
    field_columns = [(i, t) for i, t in enumerate(targets) if t and not t.startswith("image_")]
    columns = {t: headers[i] for i, t in field_columns}
    if image_columns:
        columns["images"] = headers[image_columns[0][1]]
    columns["attributes"] = "attributes"

    row = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportRejectedError([_error(row + 1, None, f"malformed CSV: {exc}")]) from None
        row += 1
        position[0] = row
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(headers):
            yield Record(row, {"_cells": len(cells)}, {"_cells": f"{len(headers)}"})
            continue
        values: dict[str, Any] = {t: cells[i] for i, t in field_columns}
        if image_columns:
            values["images"] = [cells[i] for _, i in image_columns if cells[i].strip()]
        if attribute_columns:
            values["attributes"] = {
                headers[i].strip(): cells[i] for i in attribute_columns if cells[i].strip()
            }
        yield Record(row, values, columns)


def json_records(body: bytes) -> Iterator[Record]:
    """Records from a JSON array of objects; ``row`` is the array index."""
    try:
        items = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ImportRejectedError([_error(None, None, f"invalid JSON: {exc}")]) from None
    if not isinstance(items, list):
        raise ImportRejectedError([_error(None, None, "expected a JSON array of listings")])
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            yield Record(index, {"_object": True})
            continue
        yield Record(index, item)


def _parse(record: Record, errors: list[dict[str, Any]]) -> dict[str, Any] | None:
    if "_cells" in record.values:
        errors.append(
            _error(
                record.row,
                None,
                f"row has {record.values['_cells']} cells, header has {record.columns['_cells']}",
            )
        )
        return None
    if "_object" in record.values:
        errors.append(_error(record.row, None, "each listing must be a JSON object"))
        return None
    parsed: dict[str, Any] = {}
    ok = True
    if "sku" not in record.values:
        errors.append(_error(record.row, "sku", "SKU is required"))
        ok = False
    for name, raw in record.values.items():
        column = record.columns.get(name, name)
        parser = PARSERS.get(name)
        if parser is None:
            errors.append(
                _error(record.row, name, "unknown field; put free-form values under attributes")
            )
            ok = False
            continue
        try:
            parsed[name] = parser(raw)
        except ValueError as exc:
            errors.append(_error(record.row, column, str(exc)))
            ok = False
    return parsed if ok else None


def _write(conn: Connection, channel_id: int, batch: list[dict[str, Any]]) -> None:
    groups: dict[frozenset[str], list[dict[str, Any]]] = {}
    now = utcnow()
    for values in batch:
        groups.setdefault(frozenset(values), []).append(values)
    for keys, rows in groups.items():
        update = sorted(k for k in keys if k != "sku") + ["updated_at"]
        stmt = upsert_statement(conn, LISTING, ["channel_id", "sku"], update)
        params = [
            DEFAULTS | r | {"channel_id": channel_id, "created_at": now, "updated_at": now}
            for r in rows
        ]
        conn.execute(stmt, params)
    refresh_offers(conn, channel_id, [values["sku"] for values in batch])


def _count(conn: Connection, channel_id: int) -> int:
    return conn.execute(
        select(func.count()).select_from(LISTING).where(LISTING.c.channel_id == channel_id)
    ).scalar_one()


def import_listings(
    engine: Engine,
    channel_id: int,
    records: Iterable[Record],
    *,
    max_errors: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    errors: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    received = 0
    with engine.begin() as conn:
        before = _count(conn, channel_id)
        batch: list[dict[str, Any]] = []
        for record in records:
            received += 1
            values = _parse(record, errors)
            if values is not None:
                sku = values["sku"]
                if sku in first_row:
                    errors.append(
                        _error(
                            record.row,
                            record.columns.get("sku", "sku"),
                            f"duplicate SKU {sku!r}, first in row {first_row[sku]}",
                        )
                    )
                else:
                    first_row[sku] = record.row
                    if not errors:
                        batch.append(values)
            if len(errors) >= max_errors:
                errors.append(_error(None, None, f"stopped after {max_errors} errors"))
                break
            if len(batch) >= BATCH_SIZE:
                _write(conn, channel_id, batch)
                batch.clear()
                if progress:
                    progress(received)
        if errors:
            logger.info(
                "feed.import.rejected channel=%s received=%s errors=%s",
                channel_id,
                received,
                len(errors),
            )
            raise ImportRejectedError(errors)
        if batch:
            _write(conn, channel_id, batch)
        if progress:
            progress(received)
        created = _count(conn, channel_id) - before
        if received:
            request_rebuild(conn, channel_id)
    logger.info(
        "feed.import.done channel=%s received=%s created=%s updated=%s",
        channel_id,
        received,
        created,
        received - created,
    )
    return ImportResult(received=received, created=created, updated=received - created)


def read_csv_bytes(body: bytes) -> Iterator[Record]:
    return csv_records(io.BytesIO(body))
