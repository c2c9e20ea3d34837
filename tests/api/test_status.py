from tests.conftest import ADMIN_TOKEN
from tests.factories import build_feed, make_channel, make_listing, put_listings
from tests.operations.helpers import SANDBOX, run


def test_status_page_shows_channels_masked_links_runs_and_held_orders(client, anonymous):
    channel = make_channel(client, name="Shop <One>", **SANDBOX)
    put_listings(client, channel["id"], [make_listing()])
    export = build_feed(client, channel["id"])
    run(client, channel["id"], "link-listings")

    page = anonymous.get("/", auth=("ops", ADMIN_TOKEN))

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Shop &lt;One&gt;" in html
    assert "/feeds/****.csv" in html
    token = export["csv_url"].rsplit("/", 1)[1].split(".")[0]
    assert token not in html
    assert '<span class="succeeded">succeeded</span>' in html
    assert "unmatched 1" in html


def test_status_page_needs_the_admin_token(anonymous):
    response = anonymous.get("/")
    assert response.status_code == 401
    assert "Basic" in response.headers["www-authenticate"]
    assert anonymous.get("/", auth=("ops", "wrong")).status_code == 401
