"""Pure listing -> feed item functions (the JSON feed mirrors ecomdash's Create Product body)."""

import mimetypes
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from feed.export.template import MAX_IMAGES

_CONDITIONS = {"new": "New", "used": "Used"}


def _money(value: Decimal | float | None) -> float | None:
    # orjson has no Decimal support; two-decimal values round-trip through float exactly.
    return float(value) if value is not None else None


def _image(url: str, position: int) -> dict[str, Any]:
    item: dict[str, Any] = {"Url": url, "DisplayOrder": position}
    mime = mimetypes.guess_type(url.split("?", 1)[0])[0]
    if mime and mime.startswith("image/"):
        item["MIMEType"] = mime
    return item


def product_item(listing: Mapping[str, Any]) -> dict[str, Any]:
    """One listing as an ecomdash Create Product body (see the Inventory - Create Product doc)."""
    identifiers = {
        key: listing[field]
        for key, field in (("UPC", "upc"), ("EAN", "ean"), ("ISBN", "isbn"), ("GTIN", "gtin"))
        if listing[field]
    }
    attributes: dict[str, Any] = {
        "SoldAsName": listing["name"],
        "ShortDescription": listing["short_description"],
        "LongDescription": listing["description"],
        "Price": _money(listing["offer_price"]),
    }
    condition = _CONDITIONS.get((listing["condition"] or "").lower())
    if condition:
        attributes["Condition"] = condition
    item: dict[str, Any] = {
        "Sku": listing["sku"],
        "Name": listing["name"] or listing["sku"],
        "Type": "Product",
        "QuantityOnHand": listing["offer_quantity"],
        "Identifiers": identifiers,
        "IsDiscontinued": bool(listing["is_discontinued"]),
        "GlobalListingAttributes": {k: v for k, v in attributes.items() if v is not None},
        "Images": [_image(u, i) for i, u in enumerate(listing["images"][:MAX_IMAGES], start=1)],
    }
    supplier = {
        "SKU": listing["supplier_sku"],
        "Price": _money(listing["cost"]),
    }
    supplier = {k: v for k, v in supplier.items() if v is not None}
    if supplier:
        item["SupplierInformation"] = supplier
    extras = {
        k: v
        for k, v in (
            ("Brand", listing["brand"]),
            ("MPN", listing["mpn"]),
            ("SupplierName", listing["supplier_name"]),
            ("Weight", listing["weight"]),
            ("MSRP", _money(listing["msrp"])),
            ("MAP", _money(listing["map_price"])),
        )
        if v is not None
    }
    if extras or listing["attributes"]:
        # Not part of the Create Product body; kept apart so the body itself stays valid.
        item["Extra"] = {**extras, "Attributes": listing["attributes"]}
    return item
