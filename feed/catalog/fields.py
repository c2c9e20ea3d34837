"""Listing fields: how CSV headers and JSON keys map to them and how each value is parsed.

Every parser takes the raw cell (text from CSV, any JSON value) and returns the stored value
or raises ValueError with a message a merchant can act on.
"""

import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from feed.catalog.identifiers import parse_ean, parse_gtin, parse_isbn, parse_upc
from feed.export.template import MAX_IMAGES

MAX_SKU_LENGTH = 200
MAX_TEXT_LENGTH = 65_535
MAX_MONEY = Decimal("9999999999.99")
CENT = Decimal("0.01")
IMAGE_SEPARATOR = "|"
CONDITIONS = {"new": "New", "used": "Used"}
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0", ""}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Parser = Callable[[Any], Any]


def _text(value: Any, *, limit: int = MAX_TEXT_LENGTH) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("must be text")
    text = str(value).strip()
    if _CONTROL.search(text):
        raise ValueError("contains control characters")
    if len(text) > limit:
        raise ValueError(f"is longer than {limit} characters")
    return text or None


def parse_sku(value: Any) -> str:
    sku = _text(value, limit=MAX_SKU_LENGTH)
    if not sku:
        raise ValueError("SKU is required")
    if "\n" in sku or "\r" in sku:
        raise ValueError("SKU must be on one line")
    return sku


def parse_quantity(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a whole number") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number")
    if number < 0:
        raise ValueError("must not be negative")
    if number > 2_000_000_000:
        raise ValueError("is too large")
    return int(number)


def parse_money(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        hint = (
            " (no currency symbols or thousands separators)" if re.search(r"[$€£,]", text) else ""
        )
        raise ValueError(f"{text!r} is not a number{hint}") from None
    if not amount.is_finite():
        raise ValueError(f"{text!r} is not a number")
    if amount < 0:
        raise ValueError("must not be negative")
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if amount > MAX_MONEY:
        raise ValueError("is too large")
    return amount


def parse_weight(value: Any) -> float | None:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        weight = float(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if weight != weight or weight in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not a number")
    if weight < 0:
        raise ValueError("must not be negative")
    return round(weight, 3)


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not true/false")


def parse_condition(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return CONDITIONS[text.lower()]
    except KeyError:
        raise ValueError(f"{text!r} is not a condition ecomdash accepts (New, Used)") from None


def _identifier(parse: Callable[[str], str]) -> Parser:
    def parser(value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        text = _text(value)
        return parse(text) if text else None

    return parser


def parse_url(value: Any) -> str:
    url = _text(value)
    if not url:
        raise ValueError("image URL is empty")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
        raise ValueError(f"{url!r} is not an http(s) URL")
    return url


def parse_images(value: Any) -> list[str]:
    if value is None:
        return []
    items = value.split(IMAGE_SEPARATOR) if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ValueError("must be a list of URLs")
    urls = [parse_url(u) for u in items if not (isinstance(u, str) and not u.strip())]
    if len(urls) > MAX_IMAGES:
        raise ValueError(f"has {len(urls)} images; ecomdash keeps at most {MAX_IMAGES}")
    return urls


def parse_attributes(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("must be an object of name -> text")
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip() or len(key) > 100:
            raise ValueError(f"attribute name {key!r} must be 1..100 characters")
        text = _text(item)
        if text is not None:
            out[key.strip()] = text
    return out


PARSERS: dict[str, Parser] = {
    "sku": parse_sku,
    "name": _text,
    "short_description": _text,
    "description": _text,
    "brand": _text,
    "upc": _identifier(parse_upc),
    "ean": _identifier(parse_ean),
    "gtin": _identifier(parse_gtin),
    "isbn": _identifier(parse_isbn),
    "mpn": _text,
    "quantity": parse_quantity,
    "cost": parse_money,
    "price": parse_money,
    "msrp": parse_money,
    "map_price": parse_money,
    "weight": parse_weight,
    "condition": parse_condition,
    "is_discontinued": parse_bool,
    "images": parse_images,
    "supplier_sku": _text,
    "supplier_name": _text,
    "attributes": parse_attributes,
}

DEFAULTS: dict[str, Any] = dict.fromkeys(PARSERS) | {
    "quantity": 0,
    "is_discontinued": False,
    "images": [],
    "attributes": {},
}

# Common spreadsheet headers, normalised (lower case, runs of non-alphanumerics -> "_").
ALIASES = {
    "sku_number": "sku",
    "title": "name",
    "product_name": "name",
    "qty": "quantity",
    "quantity_on_hand": "quantity",
    "stock": "quantity",
    "long_description": "description",
    "map": "map_price",
    "minimum_advertised_price": "map_price",
    "list_price": "msrp",
    "manufacturer_part_number": "mpn",
    "supplier": "supplier_name",
    "vendor": "supplier_name",
    "vendor_sku": "supplier_sku",
    "discontinued": "is_discontinued",
    "image_url": "image_1",
    "image": "image_1",
    "image_urls": "images",
}
_IMAGE_COLUMN = re.compile(r"^image(?:_url)?_(\d{1,2})$")


def normalize_header(header: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")


def header_target(header: str) -> str | None:
    """The field a CSV header fills: a field name, ``image_N``, or None for an attribute."""
    key = normalize_header(header)
    key = ALIASES.get(key, key)
    if m := _IMAGE_COLUMN.match(key):
        position = int(m.group(1))
        return f"image_{position}" if 1 <= position <= MAX_IMAGES else None
    if key in PARSERS and key != "attributes":
        return key
    return None
