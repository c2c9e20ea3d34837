"""The sandbox's "Integrated Import Format": fetch a feed URL and create/update products.

A merchant maps feed headers to ecomdash fields once; ``DEFAULT_MAPPING`` is the mapping
for our default export template. Rows are matched to products by SKU, case-insensitively.
"""

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from feed.ecomdash.sandbox.state import Account

DEFAULT_MAPPING = {
    "SKU": "Sku",
    "Name": "Name",
    "Quantity On Hand": "QuantityOnHand",
    "Price": "GlobalListingAttributes.Price",
    "Cost": "SupplierInformation.Price",
    "UPC": "Identifiers.UPC",
    "EAN": "Identifiers.EAN",
    "Short Description": "GlobalListingAttributes.ShortDescription",
    "Long Description": "GlobalListingAttributes.LongDescription",
    "Supplier SKU": "SupplierInformation.SKU",
}
_IMAGE_HEADER = re.compile(r"^Image URL (\d+)$")
NUMBER_FIELDS = {"QuantityOnHand", "GlobalListingAttributes.Price", "SupplierInformation.Price"}


def _product_body(row: dict[str, str], mapping: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    images = []
    for header, value in row.items():
        if m := _IMAGE_HEADER.match(header or ""):
            if value:
                images.append({"Url": value, "DisplayOrder": int(m.group(1))})
            continue
        target = mapping.get(header or "")
        if target is None or value == "":
            continue
        parsed: Any = value
        if target in NUMBER_FIELDS:
            parsed = Decimal(value)
            parsed = int(parsed) if target == "QuantityOnHand" else float(parsed)
        if "." in target:
            outer, inner = target.split(".", 1)
            body.setdefault(outer, {})[inner] = parsed
        else:
            body[target] = parsed
    if images:
        body["Images"] = sorted(images, key=lambda i: i["DisplayOrder"])
    return body


def apply_feed(
    account: Account, content: bytes, mapping: dict[str, str] | None = None
) -> dict[str, Any]:
    mapping = mapping or DEFAULT_MAPPING
    text = content.decode("utf-8-sig")
    created = updated = 0
    errors: list[str] = []
    for line, row in enumerate(csv.DictReader(io.StringIO(text, newline="")), start=2):
        try:
            body = _product_body(row, mapping)
        except (InvalidOperation, ValueError):
            errors.append(f"Row {line}: a number column could not be read.")
            continue
        existing = account.active_by_sku(body.get("Sku", ""))
        if existing is None:
            product, messages = account.create_product(body)
            created += product is not None
        else:
            quantity = body.pop("QuantityOnHand", None)
            product, messages = account.update_product({"Id": existing["Id"], **body})
            if product is not None and quantity is not None:
                account.update_quantities([{"Sku": product["Sku"], "Quantity": quantity}])
            updated += product is not None
        errors += [f"Row {line}: {m}" for m in messages]
    result = {
        "at": datetime.now(UTC).isoformat(),
        "created": created,
        "updated": updated,
        "errors": errors,
    }
    account.imports.append(result)
    return result


async def pull(
    account: Account, fetch: Callable[[str, str | None], Any], etag: str | None = None
) -> tuple[dict[str, Any] | None, str | None]:
    """Fetches the account's feed URL (conditionally) and applies it if it changed."""
    assert account.feed_url is not None
    status, body, new_etag = await fetch(account.feed_url, etag)
    if status == 304:
        return None, etag
    if status != 200:
        result = {
            "at": datetime.now(UTC).isoformat(),
            "created": 0,
            "updated": 0,
            "errors": [f"feed answered HTTP {status}"],
        }
        account.imports.append(result)
        return result, etag
    return apply_feed(account, body), new_etag
