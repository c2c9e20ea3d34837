import re

from tests.factories import build_feed, feed_path, make_channel, make_listing, put_listings
from tests.operations.helpers import SANDBOX, run


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample, matched on its labels whatever their order."""
    for line in text.splitlines():
        sample, _, value = line.rpartition(" ")
        if not sample.startswith(name):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', sample[len(name) :]))
        if sample[len(name) : len(name) + 1] in ("{", "") and found == labels:
            return float(value)
    return 0.0


def test_metrics_move_with_requests_feed_fetches_runs_and_ecomdash_calls(client, anonymous):
    before = anonymous.get("/metrics").text
    channel = make_channel(client, **SANDBOX)
    put_listings(client, channel["id"], [make_listing()])
    export = build_feed(client, channel["id"])
    etag = anonymous.get(feed_path(export)).headers["etag"]
    anonymous.get(feed_path(export), headers={"If-None-Match": etag})
    run(client, channel["id"], "link-listings")

    text = anonymous.get("/metrics").text

    assert metric(text, "feed_feed_requests_total", format="csv", status="200") == 1
    assert metric(text, "feed_feed_requests_total", format="csv", status="304") == 1
    assert metric(
        text, "feed_http_requests_total", method="POST", handler="post_channel", status="201"
    ) == 1 + metric(
        before, "feed_http_requests_total", method="POST", handler="post_channel", status="201"
    )
    assert metric(text, "feed_runs", operation="link-listings", state="succeeded") == 1
    assert metric(text, "feed_snapshot_rows", channel=str(channel["id"]), format="csv") == 1
    assert (
        metric(
            text,
            "feed_ecomdash_calls_total",
            operation="GET /inventory",
            outcome="200",
        )
        >= 1
    )
    assert "feed_ecomdash_throttle_wait_seconds" in text


def test_feed_tokens_never_appear_in_metrics(client, anonymous):
    channel = make_channel(client)
    export = build_feed(client, channel["id"])
    anonymous.get(feed_path(export))
    token = export["csv_url"].rsplit("/", 1)[1].split(".")[0]
    text = anonymous.get("/metrics").text
    assert token not in text
    assert 'handler="get_feed"' in text
