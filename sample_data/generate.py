"""Writes the demo catalog (``--sample``) or a large synthetic catalog for the benchmarks.

python sample_data/generate.py --sample                 # sample_data/catalog.csv
python sample_data/generate.py --rows 1000000 --out big.csv
"""

import argparse
import csv
import random
import sys
from collections.abc import Iterator
from pathlib import Path

HEADERS = [
    "SKU",
    "Name",
    "Short Description",
    "Long Description",
    "Brand",
    "UPC",
    "EAN",
    "MPN",
    "Quantity",
    "Cost",
    "Price",
    "MSRP",
    "MAP",
    "Weight",
    "Condition",
    "Discontinued",
    "Images",
    "Supplier",
    "Supplier SKU",
    "Color",
    "Size",
    "Material",
]
BRANDS = [
    "Northwind Outfitters",
    "Acme Home",
    "Café Lumière",
    "Brasserie & Co",
    "Zürich Gear",
    "Sakura Kitchen 桜",
    "Björk Design",
    "O'Malley Tools",
    "Señor Pepper",
    "Maison Élan",
    "Trailhead",
    "Kraftwerk Audio",
]
PRODUCTS = [
    ("Stainless Steel Water Bottle", "Kitchen"),
    ("Cast-Iron Skillet", "Kitchen"),
    ("Espresso Grinder", "Kitchen"),
    ("Chef's Knife", "Kitchen"),
    ("French Press", "Kitchen"),
    ("Trail Running Shoe", "Outdoor"),
    ("Down Jacket", "Outdoor"),
    ("Camping Lantern", "Outdoor"),
    ("Hiking Backpack", "Outdoor"),
    ("Merino Beanie", "Apparel"),
    ("Linen Shirt", "Apparel"),
    ("Wireless Headphones", "Audio"),
    ("Bookshelf Speaker", "Audio"),
    ("Cordless Drill", "Tools"),
    ("Socket Wrench Set", "Tools"),
    ("Garden Hose", "Garden"),
    ("Ceramic Planter", "Garden"),
    ("Yoga Mat", "Fitness"),
    ("Kettlebell", "Fitness"),
    ("Desk Lamp", "Home"),
]
ADJECTIVES = [
    "Classic",
    "Pro",
    "Ultralight",
    "Heritage",
    "Compact",
    "Deluxe",
    "Everyday",
    "Signature",
]
COLORS = ["Black", "Slate Gray", "Crème", "Forest Green", "Navy", "Rouge", "Sand"]
SIZES = ["S", "M", "L", "XL", "One Size", '12"', "750 ml", "5 qt"]
MATERIALS = [
    "Stainless steel",
    "Cotton, organic",
    "Merino wool",
    "Cast iron",
    "Bamboo",
    "Aluminium",
]
SUPPLIERS = [
    "Global Dropship Inc.",
    "Eurodistri GmbH",
    "Pacific Wholesale, LLC",
    "Nordic Supply AB",
]


def check_digit(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def upc(rng: random.Random) -> str:
    body = "0" + "".join(rng.choice("0123456789") for _ in range(10))
    return body + check_digit(body)


def ean(rng: random.Random) -> str:
    body = rng.choice(["400", "590", "761", "880"]) + "".join(
        rng.choice("0123456789") for _ in range(9)
    )
    return body + check_digit(body)


def description(rng: random.Random, name: str, brand: str, material: str) -> str:
    sentences = [
        f"The {name} from {brand} is built for daily use, tested in the field, and backed "
        f"by a 2-year warranty.",
        f'Made of {material.lower()}; measures 12" x 4" and weighs next to nothing.',
        'Customers call it "the last one you\'ll ever buy" — we agree.',
        "Dishwasher-safe, BPA-free, and packed in 100% recycled cardboard.",
        "Entwickelt in Zürich, getestet bei −20 °C. Très résistant, façon artisanale.",
        "Includes: carry pouch, quick-start guide, and spare parts (where applicable).",
    ]
    chosen = rng.sample(sentences, k=rng.randint(2, 5))
    separator = "\n" if rng.random() < 0.15 else " "
    return separator.join(chosen)


def products(count: int, seed: int = 7, *, rich_text: bool = True) -> Iterator[list[str]]:
    rng = random.Random(seed)
    for i in range(1, count + 1):
        base, category = rng.choice(PRODUCTS)
        brand = rng.choice(BRANDS)
        adjective = rng.choice(ADJECTIVES)
        color, size, material = rng.choice(COLORS), rng.choice(SIZES), rng.choice(MATERIALS)
        name = f"{brand} {adjective} {base}, {color}"
        sku = f"{category[:3].upper()}-{i:06d}"
        price = round(rng.uniform(8, 400), 2)
        cost = round(price * rng.uniform(0.35, 0.7), 2)
        msrp = round(price * rng.uniform(1.05, 1.4), 2) if rng.random() < 0.7 else ""
        map_price = round(price * 0.9, 2) if rng.random() < 0.3 else ""
        identifier = rng.random()
        row_upc = upc(rng) if identifier < 0.55 else ""
        row_ean = ean(rng) if 0.55 <= identifier < 0.8 else ""
        images = "|".join(
            f"https://images.example.com/{sku.lower()}/{n}.jpg"
            for n in range(1, rng.randint(0, 5) + 1)
        )
        long_text = description(rng, base, brand, material) if rich_text else f"{name} details"
        yield [
            sku,
            name,
            f"{adjective} {base.lower()} by {brand}",
            long_text,
            brand,
            row_upc,
            row_ean,
            f"MPN{rng.randint(10000, 99999)}" if rng.random() < 0.6 else "",
            str(rng.randint(0, 250)),
            f"{cost:.2f}",
            f"{price:.2f}",
            f"{msrp:.2f}" if msrp != "" else "",
            f"{map_price:.2f}" if map_price != "" else "",
            f"{rng.uniform(0.1, 12):.2f}",
            "Used" if rng.random() < 0.05 else "New",
            "yes" if rng.random() < 0.03 else "no",
            images,
            rng.choice(SUPPLIERS),
            f"SUP-{rng.randint(100000, 999999)}",
            color,
            size,
            material,
        ]


def write(path: Path | None, count: int, seed: int, rich_text: bool) -> None:
    out = path.open("w", newline="", encoding="utf-8") if path else sys.stdout
    with out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADERS)
        writer.writerows(products(count, seed, rich_text=rich_text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", action="store_true", help="write sample_data/catalog.csv")
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.sample:
        write(Path(__file__).with_name("catalog.csv"), 300, 7, rich_text=True)
    else:
        write(args.out, args.rows, args.seed, rich_text=True)


if __name__ == "__main__":
    main()
