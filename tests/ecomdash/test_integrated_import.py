"""Publishing through the custom export: the sandbox pulls our feed like ecomdash's import."""

import csv
import io

import httpx

from feed.ecomdash.sandbox.integrated import apply_feed, pull
from feed.ecomdash.sandbox.seed import DEMO_ECD_KEY
from tests.factories import build_feed, make_channel, put_csv


async def test_sandbox_import_creates_and_updates_products_from_the_feed(
    app, client, sandbox_app, account
):
    from feed.demo import SAMPLE_DATA

    channel = make_channel(client)
    put_csv(client, channel["id"], (SAMPLE_DATA / "catalog.csv").read_bytes())
    export = build_feed(client, channel["id"])
    from feed.ecomdash.sandbox.app import make_fetcher

    sandbox_app.state.fetch_feed = make_fetcher(httpx.ASGITransport(app=app))
    before = len(account.products)

    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as admin:
        response = await admin.post(
            f"/_sandbox/accounts/{DEMO_ECD_KEY}/integrated-import",
            json={"url": export["csv_url"].replace("http://feeds.test", "http://testserver")},
        )
    result = response.json()

    assert response.status_code == 200, response.text
    assert result["errors"] == []
    assert result["created"] + result["updated"] == 300
    assert result["updated"] == 60  # the seed's SKU matches, one in twenty in other case
    assert len(account.products) == before + 240
    catalog = list(csv.DictReader(io.StringIO((SAMPLE_DATA / "catalog.csv").read_text())))
    first = catalog[1]
    product = account.active_by_sku(first["SKU"])
    assert product["Name"] == first["Name"]
    assert product["GlobalListingAttributes"]["Price"] == float(first["Price"])
    assert product["QuantityOnHand"] == int(first["Quantity"])
    assert [i["Url"] for i in product["Images"]] == first["Images"].split("|")[:5]


async def test_an_unchanged_feed_is_not_imported_again(app, client, account):
    from feed.ecomdash.sandbox.app import make_fetcher

    channel = make_channel(client)
    put_csv(client, channel["id"], "SKU,Name,Quantity\r\nNEW-9,Widget,4\r\n")
    export = build_feed(client, channel["id"])
    account.feed_url = export["csv_url"].replace("http://feeds.test", "http://testserver")
    fetch = make_fetcher(httpx.ASGITransport(app=app))

    first, etag = await pull(account, fetch)
    second, _ = await pull(account, fetch, etag)

    assert first["created"] == 1
    assert second is None  # 304: nothing to do


def test_rows_with_bad_numbers_are_reported_not_fatal(account):
    result = apply_feed(account, b"SKU,Name,Price\r\nA-1,Ok,1.00\r\nA-2,Bad,abc\r\n")
    assert result["created"] == 1
    assert result["errors"] == ["Row 3: a number column could not be read."]
