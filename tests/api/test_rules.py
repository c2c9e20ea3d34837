import csv
import io

from tests.factories import build_feed, feed_path, make_channel, make_listing, put_listings


def test_rules_change_the_feed_and_the_offer_preview(client, anonymous):
    channel = make_channel(client)
    put_listings(
        client,
        channel["id"],
        [
            make_listing(sku="A-1", upc=None, price="10.00", quantity=3),
            make_listing(sku="CLEAR-1", upc=None, price="5.00", quantity=9),
        ],
    )
    response = client.patch(
        f"/api/v1/channels/{channel['id']}",
        json={
            "rules": {
                "price": {"multiplier": "1.5", "charm": "0.99"},
                "quantity": {"buffer": 1},
                "filters": {"exclude_skus": ["CLEAR-*"]},
            }
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["rules"]["price"]["charm"] == "0.99"

    export = client.get(f"/api/v1/channels/{channel['id']}/export").json()
    assert export["pending_changes"] is True
    export = build_feed(client, channel["id"])
    rows = list(csv.DictReader(io.StringIO(anonymous.get(feed_path(export)).text)))
    assert [(r["SKU"], r["Price"], r["Quantity On Hand"]) for r in rows] == [("A-1", "15.99", "2")]

    preview = client.get(f"/api/v1/channels/{channel['id']}/listings/CLEAR-1/offer").json()
    assert preview == {
        "sku": "CLEAR-1",
        "offered": False,
        "price": "7.99",
        "quantity": 0,
        "price_rule": "price x 1.5 + 0, charm 0.99",
        "quantity_rule": "excluded",
        "excluded_by": "filters.exclude_skus (CLEAR-*)",
    }
    listing = client.get(f"/api/v1/channels/{channel['id']}/listings/A-1").json()
    assert (listing["offer_price"], listing["offer_quantity"]) == ("15.99", 2)


def test_new_listings_get_offers_under_the_rules(client):
    channel = make_channel(client, rules={"quantity": {"maximum": 4}})
    put_listings(client, channel["id"], [make_listing(sku="B-1", quantity=50)])
    listing = client.get(f"/api/v1/channels/{channel['id']}/listings/B-1").json()
    assert listing["offer_quantity"] == 4


def test_nonsense_rules_are_422_naming_the_field(client):
    channel = make_channel(client)
    response = client.patch(
        f"/api/v1/channels/{channel['id']}", json={"rules": {"price": {"multiplier": -2}}}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "rules", "price", "multiplier"]
