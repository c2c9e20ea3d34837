import httpx

from feed.demo import SAMPLE_DATA
from feed.ecomdash.sandbox.app import make_fetcher
from feed.ecomdash.sandbox.integrated import pull
from tests.factories import make_channel, make_listing, put_csv, put_listings
from tests.operations.helpers import SANDBOX, run


def test_publish_through_the_feed_then_link_picks_up_the_created_products(app, client, account):
    channel = make_channel(client, **SANDBOX)
    put_csv(client, channel["id"], (SAMPLE_DATA / "catalog.csv").read_bytes())
    assert run(client, channel["id"], "link-listings")["counts"]["linked"] == 110

    published = run(client, channel["id"], "publish-listings")

    assert published["counts"] == {"in_feed": 190}
    assert published["api_calls"] == 0
    # ecomdash's integrated import pulls the link, as the merchant set it up...
    export = client.get(f"/api/v1/channels/{channel['id']}/export").json()
    assert export["pending_changes"] is False
    account.feed_url = export["csv_url"].replace("http://feeds.test", "http://testserver")
    import asyncio

    result, _ = asyncio.run(pull(account, make_fetcher(httpx.ASGITransport(app=app))))
    assert result["errors"] == []
    # ...and the next link-listings links what it created.
    relinked = run(client, channel["id"], "link-listings")
    assert relinked["counts"] == {"already_linked": 110, "linked": 190}


def test_publish_through_the_api_creates_and_links(client, account, sandbox_state):
    channel = make_channel(client, **SANDBOX, publish_via="api")
    put_listings(
        client,
        channel["id"],
        [
            make_listing(sku="NEW-1", upc=None, name="New one", price="9.99", quantity=4),
            make_listing(sku="NEW-2", upc=None, name="New two"),
        ],
    )

    published = run(client, channel["id"], "publish-listings")

    assert published["counts"] == {"created": 2}
    created = account.active_by_sku("NEW-1")
    assert created["Name"] == "New one"
    assert created["QuantityOnHand"] == 4
    assert created["GlobalListingAttributes"]["Price"] == 9.99
    listing = client.get(f"/api/v1/channels/{channel['id']}/listings/NEW-1").json()
    assert (listing["link_state"], listing["link_method"]) == ("linked", "created")
    assert listing["ecomdash_product_id"] == created["Id"]
    again = run(client, channel["id"], "publish-listings")
    assert again["counts"] == {}
    assert again["api_calls"] == 0


def test_publish_never_creates_a_sku_ecomdash_already_has(client, account):
    channel = make_channel(client, **SANDBOX, publish_via="api")
    put_listings(client, channel["id"], [make_listing(sku="HALF-1", upc=None)])
    account.create_product({"Sku": "HALF-1", "Name": "made by a run that stopped"})

    published = run(client, channel["id"], "publish-listings")

    assert published["counts"] == {"adopted": 1}
    assert sum(p["Sku"] == "HALF-1" for p in account.products.values()) == 1


def test_excluded_and_conflicting_listings_are_not_published(client, account):
    channel = make_channel(
        client, **SANDBOX, publish_via="api", rules={"filters": {"exclude_skus": ["SKIP-*"]}}
    )
    put_listings(client, channel["id"], [make_listing(sku="SKIP-1", upc=None)])
    assert run(client, channel["id"], "publish-listings")["counts"] == {}
    assert account.active_by_sku("SKIP-1") is None
