"""Channel rules and the one function that turns a listing into the channel's offer.

The feed and sync-listings both read the offer (materialised on the listing by
``feed.catalog.offers``), so a price or quantity means the same thing everywhere.
"""

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

CENT = Decimal("0.01")


class PriceRules(BaseModel):
    source: Literal["price", "cost", "msrp"] = "price"
    multiplier: Decimal = Field(default=Decimal(1), ge=0, le=1000)
    add: Decimal = Field(default=Decimal(0), ge=-100_000, le=100_000)
    floor_at_map: bool = True
    minimum: Decimal | None = Field(default=None, ge=0)
    charm: Decimal | None = Field(
        default=None, ge=0, lt=1, description="round up to this ending, e.g. 0.99"
    )


class QuantityRules(BaseModel):
    buffer: int = Field(default=0, ge=0, description="held back from the channel")
    maximum: int | None = Field(default=None, ge=0)
    zero_below: int | None = Field(default=None, ge=0, description="offer 0 below this")
    zero_discontinued: bool = True


class Filters(BaseModel):
    exclude_discontinued: bool = False
    min_quantity: int | None = Field(default=None, ge=0)
    include_brands: list[str] | None = None
    exclude_brands: list[str] = []
    exclude_skus: list[str] = Field(default=[], description="glob patterns, e.g. 'CLEARANCE-*'")

    @field_validator("exclude_skus")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        if any(not p.strip() for p in value):
            raise ValueError("empty SKU pattern")
        return value


class ChannelRules(BaseModel):
    price: PriceRules = PriceRules()
    quantity: QuantityRules = QuantityRules()
    filters: Filters = Filters()


@dataclass(frozen=True)
class Offer:
    offered: bool
    price: Decimal | None
    quantity: int
    price_rule: str
    quantity_rule: str
    excluded_by: str | None = None


def _excluded_by(listing: Mapping[str, Any], f: Filters) -> str | None:
    if f.exclude_discontinued and listing["is_discontinued"]:
        return "filters.exclude_discontinued"
    if f.min_quantity is not None and listing["quantity"] < f.min_quantity:
        return f"filters.min_quantity ({f.min_quantity})"
    brand = (listing["brand"] or "").casefold()
    if f.include_brands is not None and brand not in {b.casefold() for b in f.include_brands}:
        return "filters.include_brands"
    if brand and brand in {b.casefold() for b in f.exclude_brands}:
        return "filters.exclude_brands"
    sku = listing["sku"].casefold()
    for pattern in f.exclude_skus:
        if fnmatch.fnmatchcase(sku, pattern.casefold()):
            return f"filters.exclude_skus ({pattern})"
    return None


def _price(listing: Mapping[str, Any], r: PriceRules) -> tuple[Decimal | None, str]:
    base = listing[r.source]
    if base is None:
        return None, f"no {r.source}"
    price = (Decimal(base) * r.multiplier + r.add).quantize(CENT, ROUND_HALF_UP)
    rule = f"{r.source} x {r.multiplier} + {r.add}"
    if r.charm is not None:
        whole = (price - r.charm).to_integral_value(ROUND_CEILING)
        price, rule = whole + r.charm, f"{rule}, charm {r.charm}"
    floors = [(r.minimum, "minimum")]
    if r.floor_at_map:
        floors.append((listing["map_price"], "MAP"))
    for floor, name in floors:
        if floor is not None and price < Decimal(floor):
            price, rule = Decimal(floor).quantize(CENT), f"floored at {name}"
    if price < 0:
        price, rule = Decimal("0.00"), "never negative"
    return price, rule


def _quantity(listing: Mapping[str, Any], r: QuantityRules) -> tuple[int, str]:
    if r.zero_discontinued and listing["is_discontinued"]:
        return 0, "discontinued"
    quantity = max(listing["quantity"] - r.buffer, 0)
    rule = f"quantity - buffer {r.buffer}" if r.buffer else "quantity"
    if r.zero_below is not None and quantity < r.zero_below:
        return 0, f"below {r.zero_below}"
    if r.maximum is not None and quantity > r.maximum:
        return r.maximum, f"capped at {r.maximum}"
    return quantity, rule


def compute_offer(listing: Mapping[str, Any], rules: ChannelRules) -> Offer:
    """What the channel offers for one listing, and which rule decided each value."""
    price, price_rule = _price(listing, rules.price)
    excluded_by = _excluded_by(listing, rules.filters)
    if excluded_by is not None:
        return Offer(False, price, 0, price_rule, "excluded", excluded_by)
    quantity, quantity_rule = _quantity(listing, rules.quantity)
    return Offer(True, price, quantity, price_rule, quantity_rule)
