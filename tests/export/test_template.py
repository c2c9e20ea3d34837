import pytest
from pydantic import ValidationError

from feed.export.template import (
    DEFAULT_TEMPLATE,
    Constant,
    ExportColumn,
    FieldRef,
    Format,
    parse_source,
    remap_warnings,
)


def test_sources_parse_into_fields_constants_and_formats():
    assert parse_source("price") == FieldRef("field", "price")
    assert parse_source("image_2") == FieldRef("image", "2")
    assert parse_source("attributes.Color") == FieldRef("attribute", "Color")
    assert parse_source("'It''s new'") == Constant("It's new")
    assert parse_source("{brand} {name}") == Format(
        (FieldRef("field", "brand"), " ", FieldRef("field", "name"))
    )


@pytest.mark.parametrize("source", ["skew", "image_13", "{brand", "{nope}", "'a'b'"])
def test_invalid_sources_are_rejected(source):
    with pytest.raises(ValidationError):
        ExportColumn(header="X", source=source)


def test_header_must_be_plain_text():
    with pytest.raises(ValidationError):
        ExportColumn(header=" SKU", source="sku")


def test_default_headers_are_stable_ascii():
    headers = [c.header for c in DEFAULT_TEMPLATE]
    assert all(h.isascii() for h in headers)
    assert headers[:4] == ["SKU", "Name", "Quantity On Hand", "Price"]
    assert "Image URL 1" in headers


def test_remap_warnings_for_renamed_column():
    old = list(DEFAULT_TEMPLATE)
    new = [ExportColumn(header="Item SKU", source="sku"), *old[1:]]
    assert remap_warnings(old, new) == [
        "column 'SKU' was removed or renamed: re-map the import format in ecomdash"
    ]
