"""Compiles an export template into one set-based SELECT whose columns are the CSV cells.

Formatting happens in SQL, so the writer streams rows straight from the cursor into the csv
module without touching each value in Python. Each construct renders the same text on SQLite
and PostgreSQL.
"""

from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from feed.export.template import MONEY_FIELDS, Constant, ExportColumn, FieldRef, parse_source
from feed.models import Listing

LISTING = Listing.__table__  # type: ignore[attr-defined]


class money_text(FunctionElement[str]):
    """A money value as text with exactly two decimals ("12.30")."""

    type = String()
    inherit_cache = True
    name = "money_text"


class number_text(FunctionElement[str]):
    """A float as text with up to three decimals and no trailing zeros ("1.25", "2")."""

    type = String()
    inherit_cache = True
    name = "number_text"


class bool_text(FunctionElement[str]):
    type = String()
    inherit_cache = True
    name = "bool_text"


@compiles(money_text, "sqlite")
def _money_sqlite(element: money_text, compiler: Any, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    # printf() turns NULL into 0.00; an absent price must stay empty.
    return f"CASE WHEN {arg} IS NULL THEN NULL ELSE printf('%.2f', {arg}) END"


@compiles(money_text, "postgresql")
def _money_pg(element: money_text, compiler: Any, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"CAST(CAST({arg} AS NUMERIC(12, 2)) AS TEXT)"


@compiles(number_text, "sqlite")
def _number_sqlite(element: number_text, compiler: Any, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return (
        f"CASE WHEN {arg} IS NULL THEN NULL ELSE rtrim(rtrim(printf('%.3f', {arg}), '0'), '.') END"
    )


@compiles(number_text, "postgresql")
def _number_pg(element: number_text, compiler: Any, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"CAST(trim_scale(CAST({arg} AS NUMERIC(14, 3))) AS TEXT)"


@compiles(bool_text)
def _bool_text(element: bool_text, compiler: Any, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"CASE WHEN {arg} THEN 'true' ELSE 'false' END"


def field_expression(ref: FieldRef) -> ColumnElement[Any]:
    if ref.kind == "image":
        return LISTING.c.images[int(ref.name) - 1].as_string()
    if ref.kind == "attribute":
        return LISTING.c.attributes[ref.name].as_string()
    column = LISTING.c[ref.name]
    if ref.name in MONEY_FIELDS:
        return money_text(column)
    if ref.name == "weight":
        return number_text(column)
    if ref.name == "is_discontinued":
        return bool_text(column)
    if ref.name in ("quantity", "offer_quantity"):
        return cast(column, String)
    return column


def column_expression(column: ExportColumn) -> ColumnElement[Any]:
    source = parse_source(column.source)
    if isinstance(source, FieldRef):
        return field_expression(source)
    if isinstance(source, Constant):
        return literal(source.value, String)
    pieces: list[ColumnElement[Any]] = [
        literal(p, String) if isinstance(p, str) else func.coalesce(field_expression(p), "")
        for p in source.parts
    ]
    expr = pieces[0]
    for piece in pieces[1:]:
        expr = expr.concat(piece)
    return expr


def csv_select(template: list[ExportColumn], channel_id: int) -> Select[Any]:
    columns = [column_expression(c).label(f"c{i}") for i, c in enumerate(template)]
    return (
        select(*columns)
        .where(LISTING.c.channel_id == channel_id, LISTING.c.offered.is_(True))
        .order_by(LISTING.c.sku)
    )


def listing_select(channel_id: int) -> Select[Any]:
    """The listings the channel offers (its filters passed), for the JSON feed."""
    return (
        select(LISTING)
        .where(LISTING.c.channel_id == channel_id, LISTING.c.offered.is_(True))
        .order_by(LISTING.c.sku)
    )
