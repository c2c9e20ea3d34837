"""Builds test state through the public API, with keyword-only defaults."""

import csv
import io
from typing import Any

from fastapi.testclient import TestClient

LISTING_HEADERS = [
    "sku",
    "name",
    "description",
    "brand",
    "upc",
    "ean",
    "quantity",
    "cost",
    "price",
    "images",
]


def make_channel(
    client: TestClient,
    *,
    name: str = "demo",
    ecd_subscription_key: str = "ecd-secret-key-value",
    **fields: Any,
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/channels",
        json={"name": name, "ecd_subscription_key": ecd_subscription_key, **fields},
    )
    assert response.status_code == 201, response.text
    return response.json()


def make_listing(**overrides: Any) -> dict[str, Any]:
    listing: dict[str, Any] = {
        "sku": "SKU-1",
        "name": "Widget",
        "quantity": 5,
        "price": "19.99",
        "cost": "7.50",
        "upc": "036000291452",
        "images": ["https://img.example.com/1.jpg"],
    }
    return listing | overrides


def put_listings(client: TestClient, channel_id: int, listings: list[dict[str, Any]]):
    return client.put(f"/api/v1/channels/{channel_id}/listings", json=listings)


def put_csv(client: TestClient, channel_id: int, body: bytes | str):
    content = body.encode() if isinstance(body, str) else body
    return client.put(
        f"/api/v1/channels/{channel_id}/listings",
        content=content,
        headers={"Content-Type": "text/csv"},
    )


def csv_text(rows: list[list[str]], headers: list[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers or LISTING_HEADERS)
    writer.writerows(rows)
    return out.getvalue()


def build_feed(client: TestClient, channel_id: int) -> dict[str, Any]:
    response = client.post(f"/api/v1/channels/{channel_id}/export")
    assert response.status_code == 200, response.text
    return response.json()


def feed_path(export: dict[str, Any], fmt: str = "csv") -> str:
    return export[f"{fmt}_url"].removeprefix("http://feeds.test")
