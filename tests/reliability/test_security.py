"""No one let in without the admin token, no secret let out, no oversized or hostile input."""

import csv
import io
import logging
import re

import pytest
from sqlalchemy import event

from feed.crypto import hash_token
from feed.export.writers import neutralize
from tests.conftest import ADMIN_TOKEN
from tests.factories import build_feed, feed_path, make_channel, make_listing, put_listings
from tests.operations.helpers import SANDBOX, run

ECD_SECRET = "ECD-SECRET-6f1c0d9e2b7a"
APIM_SECRET = "APIM-SECRET-93ab47c1d2e8"


def admin_routes(app) -> list[tuple[str, str]]:
    """Every documented ``/api/v1`` operation, with its path parameters filled in."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        if path.startswith("/api/v1"):
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            found += [(method.upper(), concrete) for method in operations]
    return found


def test_every_admin_route_answers_401_without_or_with_a_wrong_token(app, anonymous, report):
    routes = admin_routes(app)
    assert len(routes) >= 25
    checked = 0
    for method, path in routes:
        for headers in (
            {},
            {"Authorization": "Bearer wrong-token"},
            {"Authorization": f"Bearer {ADMIN_TOKEN}x"},
            {"Authorization": f"Basic {ADMIN_TOKEN}"},
        ):
            response = anonymous.request(method, path, headers=headers, json={})
            assert response.status_code == 401, (method, path, headers, response.text)
            assert set(response.json()) == {"error", "detail"}
            checked += 1
    report(routes=len(routes), requests=checked, let_in=0)


def test_feed_links_are_looked_up_by_hash_never_by_the_token(client, anonymous, engine):
    channel = make_channel(client)
    put_listings(client, channel["id"], [make_listing()])
    path = feed_path(build_feed(client, channel["id"]))
    token = path.rsplit("/", 1)[1].split(".")[0]
    parameters: list[str] = []

    def capture(conn, cursor, statement, params, context, executemany):
        parameters.append(repr(params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert anonymous.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)

    sent = " ".join(parameters)
    assert token not in sent
    assert hash_token(token) in sent


def test_a_deleted_channels_feed_link_is_404_even_right_after_a_fetch(client, anonymous):
    channel = make_channel(client)
    put_listings(client, channel["id"], [make_listing()])
    export = build_feed(client, channel["id"])
    for fmt in ("csv", "json"):
        assert anonymous.get(feed_path(export, fmt)).status_code == 200  # lookup cached

    assert client.delete(f"/api/v1/channels/{channel['id']}").status_code == 204

    for fmt in ("csv", "json"):
        gone = anonymous.get(feed_path(export, fmt))
        assert gone.status_code == 404
        assert gone.json()["error"] == "FeedNotFoundError"


def test_secrets_never_appear_in_responses_errors_or_logs(client, anonymous, caplog, report):
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []

    def keep(response):
        bodies.append(response.text)
        bodies.append(str(response.headers))
        return response

    wrong = SANDBOX | {"ecd_subscription_key": ECD_SECRET, "apim_subscription_key": APIM_SECRET}
    channel = keep(client.post("/api/v1/channels", json={"name": "shop"} | wrong)).json()
    cid = channel["id"]
    put_listings(client, cid, [make_listing()])
    keep(client.get(f"/api/v1/channels/{cid}"))
    keep(client.get("/api/v1/channels"))
    keep(client.patch(f"/api/v1/channels/{cid}", json={"ecd_subscription_key": ECD_SECRET + "2"}))
    # Invalid values that carry the secret: the 422 must not echo them.
    keep(client.patch(f"/api/v1/channels/{cid}", json={"ecd_subscription_key": ECD_SECRET * 20}))
    keep(client.patch(f"/api/v1/channels/{cid}", json={"apim_subscription_key": [APIM_SECRET]}))
    keep(client.post("/api/v1/channels", json={"name": "bad name!", **wrong}))
    keep(client.post(f"/api/v1/channels/{cid}/connection/check"))
    failed = run(client, cid, "link-listings")
    keep(client.get(f"/api/v1/runs/{failed['id']}"))
    keep(client.get(f"/api/v1/channels/{cid}/runs"))
    keep(client.get(f"/api/v1/channels/{cid}/export"))
    keep(anonymous.get("/", auth=("ops", ADMIN_TOKEN)))
    keep(anonymous.get("/metrics"))
    keep(anonymous.get("/openapi.json"))

    assert failed["state"] == "failed"
    assert "subscription key" in failed["error"]  # the refusal is reported, not the key
    everything = "\n".join(bodies) + "\n" + caplog.text
    for secret in (ECD_SECRET, APIM_SECRET):
        assert secret not in everything
    report(responses=len(bodies), log_lines=len(caplog.records), secrets_seen=0)


def test_admin_bodies_over_the_limit_are_413_before_being_read(client):
    huge = {"name": "x" * (2 * 1024 * 1024), "ecd_subscription_key": "k"}
    response = client.post("/api/v1/channels", json=huge)
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLargeError"

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(40):
            yield b" " * 65536

    streamed = client.post(
        "/api/v1/channels", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert streamed.json()["error"] == "PayloadTooLargeError"
    assert client.get("/api/v1/channels").json()["count"] == 0


def test_listing_imports_have_their_own_larger_limit(client, settings):
    channel = make_channel(client)
    body = "sku,name\n" + "".join(f"S{i},{'n' * 100}\n" for i in range(20000))  # ~2 MB
    ok = client.put(
        f"/api/v1/channels/{channel['id']}/listings",
        content=body.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["received"] == 20000


HOSTILE = {
    "name": '=HYPERLINK("http://evil.test","click")',
    "description": "+SUM(A1:A9)",
    "brand": "@cmd",
    "supplier_name": "-2+3",
    "mpn": "\t=1+1",
}


@pytest.mark.parametrize("neutralize_formulas", [True, False])
def test_formula_cells_are_neutralised_in_the_csv_when_the_channel_asks(
    client, anonymous, neutralize_formulas
):
    channel = make_channel(client, export_neutralize_formulas=neutralize_formulas)
    stored = put_listings(client, channel["id"], [make_listing(sku="F-1", **HOSTILE)])
    assert stored.status_code == 200, stored.text
    export = build_feed(client, channel["id"])

    [row] = list(csv.DictReader(io.StringIO(anonymous.get(feed_path(export)).text)))
    item = anonymous.get(feed_path(export, "json")).json()[0]

    cells = [row["Name"], row["Long Description"], row["Brand"], row["Supplier"]]
    raw = [HOSTILE["name"], HOSTILE["description"], HOSTILE["brand"], HOSTILE["supplier_name"]]
    if neutralize_formulas:
        assert cells == ["'" + v for v in raw]
    else:
        assert cells == raw
    assert item["Name"] == HOSTILE["name"]  # JSON is data, not a spreadsheet


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(1)", "'+SUM(1)"),
        ("-x", "'-x"),
        ("@a", "'@a"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-5.00", "-5.00"),
        ("+3", "+3"),
        ("plain", "plain"),
        ("", ""),
        (None, None),
    ],
)
def test_neutralize(cell, expected):
    assert neutralize(cell) == expected
