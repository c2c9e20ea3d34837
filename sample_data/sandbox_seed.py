"""Writes the ecomdash sandbox's seed (products and orders) from the demo catalog.

    python sample_data/sandbox_seed.py

Some ecomdash products match demo listings by SKU (a few with different case), some only by
UPC or EAN, some not at all; orders come in several statuses, ages and shipping methods.
Order dates are stored as days before "now" so the seed never goes stale.
"""

import csv
import json
import random
from pathlib import Path

HERE = Path(__file__).parent
STOREFRONTS = [(32926, "Amazon"), (32927, "eBay"), (32928, "Shopify")]
SHIPPING = ["Standard Shipping", "Next Day Air", "Expedited", "UPS Ground", "Free Economy"]
PEOPLE = [
    ("Jane Doe", "12 Main St", "Springfield", "IL", "62701", "US"),
    ("José Álvarez", "400 Ocean Ave Apt 3", "Miami", "FL", "33139", "US"),
    ("Zoë Brontë", "77 Baker Street", "London", "", "NW1 6XE", "GB"),
    ("Li Wei", "88 Harbour Rd", "Seattle", "WA", "98101", "US"),
    ("Mary-Kate O'Neil", "5 Elm Ct", "Austin", "TX", "73301", "US"),
]


def main() -> None:
    rng = random.Random(3)
    with (HERE / "catalog.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    products = []

    def product(sku: str, row: dict[str, str], identifiers: dict[str, str]) -> None:
        products.append(
            {
                "Sku": sku,
                "Name": row["Name"],
                "Type": "Product",
                "QuantityOnHand": rng.randint(0, 40),
                "Identifiers": identifiers,
                "GlobalListingAttributes": {
                    "SoldAsName": row["Name"],
                    "Price": float(row["Price"]),
                    "Condition": "New",
                },
                "SupplierInformation": {"SKU": row["Supplier SKU"], "Price": float(row["Cost"])},
            }
        )

    by_sku = rows[:60]
    for i, row in enumerate(by_sku):
        sku = row["SKU"].lower() if i % 20 == 0 else row["SKU"]
        product(sku, row, {"UPC": row["UPC"]} if row["UPC"] else {})
    with_upc = [r for r in rows[60:] if r["UPC"]][:30]
    for i, row in enumerate(with_upc):
        product(f"ECD-U{i:04d}", row, {"UPC": row["UPC"]})
    with_ean = [r for r in rows[60:] if r["EAN"]][:20]
    for i, row in enumerate(with_ean):
        product(f"ECD-E{i:04d}", row, {"EAN": row["EAN"]})
    for i in range(20):
        product(
            f"LEGACY-{i:03d}",
            {"Name": f"Legacy bundle {i}", "Price": "25.00", "Supplier SKU": "", "Cost": "10.00"},
            {},
        )

    orders = []
    statuses = ["InProcess"] * 25 + ["New"] * 6 + ["Complete"] * 6 + ["Cancelled"] * 3
    rng.shuffle(statuses)
    for n, status in enumerate(statuses):
        storefront_id, storefront = rng.choice(STOREFRONTS)
        name, street, city, state, zip_code, country = rng.choice(PEOPLE)
        lines = []
        for _ in range(rng.randint(1, 3)):
            row = rng.choice(by_sku) if rng.random() < 0.9 else None
            sku = row["SKU"] if row else f"UNKNOWN-{rng.randint(100, 999)}"
            lines.append(
                {
                    "SkuNumber": sku,
                    "ProductName": row["Name"] if row else "Mystery item",
                    "QuantitySold": rng.randint(1, 3),
                    "UnitPrice": float(row["Price"]) if row else 9.99,
                }
            )
        orders.append(
            {
                "StorefrontOrderNumber": f"{storefront[:2].upper()}-{100200 + n}",
                "StorefrontType": storefront,
                "StorefrontId": storefront_id,
                "Status": status,
                "CreatedDaysAgo": rng.choice([0, 1, 1, 2, 3, 5, 6, 9, 12, 20]),
                "ShippingMethod": rng.choice(SHIPPING),
                "ShipToContact": {
                    "FullName": name,
                    "EmailAddress": "buyer@example.com",
                    "Address": {
                        "Street1": street,
                        "City": city,
                        "State": state,
                        "ZipCode": zip_code,
                        "Country": country,
                        "IsResidential": True,
                    },
                },
                "LineItems": lines,
            }
        )
    (HERE / "ecomdash_products.json").write_text(
        json.dumps(products, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (HERE / "ecomdash_orders.json").write_text(
        json.dumps(orders, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
