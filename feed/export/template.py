"""Export templates: the ordered ``{header, source}`` columns of a channel's CSV feed.

A source is one of
- a listing field (``sku``, ``price``, ``image_1`` .. ``image_12``, ``attributes.Color``),
- a constant in single quotes (``'New'``; double a quote to include it),
- a format string with ``{field}`` placeholders (``{brand} {name}``).
"""

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field, field_validator

MAX_IMAGES = 12  # ecomdash attaches at most 12 images to a product
MAX_COLUMNS = 200

TEXT_FIELDS = (
    "sku",
    "name",
    "short_description",
    "description",
    "brand",
    "upc",
    "ean",
    "gtin",
    "isbn",
    "mpn",
    "condition",
    "supplier_sku",
    "supplier_name",
)
MONEY_FIELDS = ("cost", "price", "msrp", "map_price", "offer_price")
# offer_price / offer_quantity are the channel's offer (rules applied); the rest are as stored.
SOURCE_FIELDS = (
    *TEXT_FIELDS,
    *MONEY_FIELDS,
    "quantity",
    "offer_quantity",
    "weight",
    "is_discontinued",
)

_IMAGE = re.compile(r"^image_(\d{1,2})$")
_ATTRIBUTE = re.compile(r"^attributes\.(.{1,100})$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class FieldRef:
    kind: Literal["field", "image", "attribute"]
    name: str  # field name, attribute key, or image position (1-based) as text


@dataclass(frozen=True)
class Constant:
    value: str


@dataclass(frozen=True)
class Format:
    parts: tuple[str | FieldRef, ...]


Source = FieldRef | Constant | Format


def parse_field(text: str) -> FieldRef:
    if text in SOURCE_FIELDS:
        return FieldRef("field", text)
    if m := _IMAGE.match(text):
        position = int(m.group(1))
        if 1 <= position <= MAX_IMAGES:
            return FieldRef("image", str(position))
        raise ValueError(f"image position must be 1..{MAX_IMAGES}, got {position}")
    if m := _ATTRIBUTE.match(text):
        return FieldRef("attribute", m.group(1))
    raise ValueError(
        f"unknown source field {text!r}; expected one of {', '.join(SOURCE_FIELDS)}, "
        f"image_1..image_{MAX_IMAGES} or attributes.<name>"
    )


def parse_source(text: str) -> Source:
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        inner = text[1:-1]
        if re.search(r"(?<!')'(?!')", inner.replace("''", "")):
            raise ValueError("a quote inside a constant must be doubled ('')")
        return Constant(inner.replace("''", "'"))
    if "{" in text or "}" in text:
        parts: list[str | FieldRef] = []
        pos = 0
        for m in _PLACEHOLDER.finditer(text):
            if m.start() > pos:
                parts.append(text[pos : m.start()])
            parts.append(parse_field(m.group(1).strip()))
            pos = m.end()
        if pos < len(text):
            parts.append(text[pos:])
        if any(isinstance(p, str) and ("{" in p or "}" in p) for p in parts):
            raise ValueError("unbalanced braces in format source")
        return Format(tuple(parts))
    return parse_field(text.strip())


class ExportColumn(BaseModel):
    header: str = Field(min_length=1, max_length=100)
    source: str = Field(min_length=1, max_length=500)

    @field_validator("header")
    @classmethod
    def _printable_header(cls, value: str) -> str:
        if not value.isprintable() or value != value.strip():
            raise ValueError("header must be printable text without surrounding spaces")
        return value

    @field_validator("source")
    @classmethod
    def _valid_source(cls, value: str) -> str:
        parse_source(value)
        return value


def validate_template(columns: list[ExportColumn]) -> list[ExportColumn]:
    if not 1 <= len(columns) <= MAX_COLUMNS:
        raise ValueError(f"a template has 1..{MAX_COLUMNS} columns")
    seen: set[str] = set()
    for column in columns:
        key = column.header.casefold()
        if key in seen:
            raise ValueError(f"duplicate header {column.header!r}")
        seen.add(key)
    return columns


DEFAULT_TEMPLATE: tuple[ExportColumn, ...] = tuple(
    ExportColumn(header=h, source=s)
    for h, s in [
        ("SKU", "sku"),
        ("Name", "name"),
        ("Quantity On Hand", "offer_quantity"),
        ("Price", "offer_price"),
        ("Cost", "cost"),
        ("UPC", "upc"),
        ("EAN", "ean"),
        ("Short Description", "short_description"),
        ("Long Description", "description"),
        ("Brand", "brand"),
        ("Weight", "weight"),
        *[(f"Image URL {i}", f"image_{i}") for i in range(1, 6)],
        ("Supplier", "supplier_name"),
        ("Supplier SKU", "supplier_sku"),
    ]
)


def effective_template(stored: list[dict[str, str]] | None) -> list[ExportColumn]:
    if not stored:
        return list(DEFAULT_TEMPLATE)
    return [ExportColumn.model_validate(c) for c in stored]


def remap_warnings(old: list[ExportColumn], new: list[ExportColumn]) -> list[str]:
    """Why the merchant must re-map the ecomdash import format, if the headers moved."""
    old_headers = [c.header for c in old]
    new_headers = [c.header for c in new]
    warnings = [
        f"column {h!r} was removed or renamed: re-map the import format in ecomdash"
        for h in old_headers
        if h not in new_headers
    ]
    kept_old = [h for h in old_headers if h in new_headers]
    kept_new = [h for h in new_headers if h in old_headers]
    if kept_old != kept_new:
        warnings.append("columns were reordered: re-map the import format in ecomdash")
    return warnings
