from decimal import Decimal

import pytest

from feed.catalog.fields import (
    header_target,
    parse_bool,
    parse_condition,
    parse_images,
    parse_money,
    parse_quantity,
    parse_sku,
)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("SKU", "sku"),
        ("Quantity On Hand", "quantity"),
        ("qty", "quantity"),
        ("Long Description", "description"),
        ("Image URL 3", "image_3"),
        ("MAP", "map_price"),
        ("Supplier", "supplier_name"),
        ("Supplier SKU", "supplier_sku"),
        ("Color", None),
        ("Image URL 13", None),
    ],
)
def test_headers_map_to_fields(header, field):
    assert header_target(header) == field


def test_money_is_rounded_to_cents():
    assert parse_money("12.345") == Decimal("12.35")
    assert parse_money(7) == Decimal("7.00")
    assert parse_money("") is None


@pytest.mark.parametrize("value", ["$12", "1,234.00", "abc", "-1", "NaN", "Infinity", True])
def test_money_rejects(value):
    with pytest.raises(ValueError, match="number|negative"):
        parse_money(value)


def test_quantity():
    assert parse_quantity("12") == 12
    assert parse_quantity("12.0") == 12
    assert parse_quantity("") == 0
    for bad in ("1.5", "-2", "x", True):
        with pytest.raises(ValueError, match="whole number|negative"):
            parse_quantity(bad)


def test_sku_is_trimmed_and_required():
    assert parse_sku("  A-1 ") == "A-1"
    with pytest.raises(ValueError, match="required"):
        parse_sku("  ")
    with pytest.raises(ValueError, match="control characters"):
        parse_sku("a\x00b")


def test_images_split_on_pipe_and_must_be_http():
    assert parse_images("https://a/1.jpg| https://a/2.jpg |") == [
        "https://a/1.jpg",
        "https://a/2.jpg",
    ]
    with pytest.raises(ValueError, match="http"):
        parse_images("ftp://a/1.jpg")
    with pytest.raises(ValueError, match="at most 12"):
        parse_images([f"https://a/{i}.jpg" for i in range(13)])


def test_condition_and_bool():
    assert parse_condition("NEW") == "New"
    with pytest.raises(ValueError, match="New, Used"):
        parse_condition("Refurbished")
    assert parse_bool("yes") is True
    assert parse_bool("") is False
    with pytest.raises(ValueError, match="true/false"):
        parse_bool("maybe")
