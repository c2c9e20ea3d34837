"""`feed serve` SIGKILLed mid-import, mid-rebuild, mid-get-orders and mid-sync-orders, then
restarted: the database and the served feed are consistent and the next run finishes the work.

The server talks to a `feed sandbox` process made slow on purpose, so each kill lands while
work is under way. Runs' leases are 5 s here (``FEED_RUN_LEASE_SECONDS``), 300 s by default.
"""

import csv
import io
import sqlite3
import threading
import time
from collections import Counter

import httpx
import pytest

from feed.demo import SAMPLE_DATA
from feed.ecomdash.sandbox.seed import DEMO_ECD_KEY, DEMO_PORTAL_KEY
from tests.reliability.processes import admin, feed_env, feed_server, sandbox_server

KEYS = {"ecd-subscription-key": DEMO_ECD_KEY, "Ocp-Apim-Subscription-Key": DEMO_PORTAL_KEY}
METHODS = ["Expedited", "Free Economy", "Next Day Air", "Standard Shipping", "UPS Ground"]


@pytest.fixture
def sandbox(tmp_path):
    process = sandbox_server(tmp_path).start()
    slow(process, 0)
    yield process
    process.stop()


@pytest.fixture
def server(tmp_path):
    process = feed_server(tmp_path, feed_env(tmp_path, FEED_AUTOBUILD="false")).start()
    yield process
    process.stop()


def sandbox_root(sandbox) -> str:
    return sandbox.ready_url.split("/_sandbox")[0]


def slow(sandbox, seconds: float) -> None:
    response = httpx.put(
        f"{sandbox_root(sandbox)}/_sandbox/accounts/{DEMO_ECD_KEY}/faults",
        json={"latency": seconds, "calls_per_minute": 1_000_000, "concurrency_per_operation": 3},
    )
    assert response.status_code == 200, response.text


def wait_run(api: httpx.Client, run_id: int, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api.get(f"/runs/{run_id}").json()
        if run["state"] not in ("queued", "running"):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish")


def trigger(api: httpx.Client, channel_id: int, operation: str) -> int:
    """Starts the operation, waiting out the lease a killed process left behind."""
    deadline = time.monotonic() + 30
    while True:
        response = api.post(f"/channels/{channel_id}/operations/{operation}")
        if response.status_code == 202:
            return response.json()["id"]
        assert response.status_code == 409, response.text
        assert time.monotonic() < deadline, "the killed run's lease never expired"
        time.sleep(0.5)


def catalog_csv(rows: int, quantity: int = 5) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["SKU", "Name", "Description", "Quantity", "Price", "Cost"])
    text = 'A long description, with commas and "quotes", repeated. ' * 4
    for i in range(rows):
        writer.writerow([f"K-{i:07d}", f"Product {i}", text, quantity, "19.99", "7.50"])
    return out.getvalue().encode()


def count_listings(tmp_path, channel_id: int) -> int:
    with sqlite3.connect(tmp_path / "feed.db") as db:
        query = "SELECT count(*) FROM listing WHERE channel_id = ?"
        return db.execute(query, (channel_id,)).fetchone()[0]


def test_killed_during_a_bulk_import_stores_nothing_and_the_retry_stores_all(
    server, tmp_path, report
):
    rows = 300_000
    body = catalog_csv(rows)
    with admin(server) as api:
        channel = api.post("/channels", json={"name": "big", "ecd_subscription_key": "k"}).json()
        outcome: dict = {}

        def upload() -> None:
            try:
                outcome["response"] = api.put(
                    f"/channels/{channel['id']}/listings",
                    content=body,
                    headers={"Content-Type": "text/csv"},
                )
            except httpx.HTTPError as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=upload)
        thread.start()
        time.sleep(1.5)
        server.kill()
        thread.join()
        assert "error" in outcome, "the import finished before the kill; make it bigger"

        server.start()
        after_kill = count_listings(tmp_path, channel["id"])
        assert after_kill == 0  # all or nothing: the interrupted transaction left no row

        retried = api.put(
            f"/channels/{channel['id']}/listings",
            content=body,
            headers={"Content-Type": "text/csv"},
        )
        assert retried.status_code == 200, retried.text
        assert count_listings(tmp_path, channel["id"]) == rows
    report(rows=rows, stored_after_kill=after_kill, stored_after_retry=rows, lost=0)


def test_killed_during_a_feed_rebuild_keeps_serving_the_last_whole_feed(server, tmp_path, report):
    rows = 120_000
    with admin(server) as api:
        channel = api.post("/channels", json={"name": "big", "ecd_subscription_key": "k"}).json()
        cid = channel["id"]
        put = {"headers": {"Content-Type": "text/csv"}, "timeout": 300}
        assert api.put(f"/channels/{cid}/listings", content=catalog_csv(rows), **put).is_success
        first = api.post(f"/channels/{cid}/export").json()
        old = httpx.get(first["csv_url"])
        assert old.headers["x-feed-rows"] == str(rows)
        assert api.put(f"/channels/{cid}/listings", content=catalog_csv(rows, 9), **put).is_success

        def rebuild() -> None:
            try:
                api.post(f"/channels/{cid}/export")
            except httpx.HTTPError:
                pass

        thread = threading.Thread(target=rebuild)
        thread.start()
        time.sleep(0.8)
        server.kill()
        thread.join()
        half_written = list((tmp_path / "data").rglob("*.tmp"))
        assert half_written, "the build finished before the kill; make it bigger"

        server.start()
        served = httpx.get(first["csv_url"])
        assert served.status_code == 200
        assert served.headers["etag"] == old.headers["etag"]
        assert served.content == old.content  # the old feed, whole
        assert served.text.count("\n") == rows + 1

        rebuilt = api.post(f"/channels/{cid}/export").json()
        new = httpx.get(rebuilt["csv_url"])
        assert new.headers["etag"] != old.headers["etag"]
        assert new.text.count("\n") == rows + 1
        assert ",9," in new.text.splitlines()[1]
    report(rows=rows, served_after_kill="old feed, whole", rebuilt_rows=rows)


@pytest.fixture
def linked_channel(server, sandbox):
    """The demo catalog linked to the sandbox's demo company, every shipping method mapped."""
    with admin(server) as api:
        channel = api.post(
            "/channels",
            json={
                "name": "shop",
                "base_url": f"{sandbox_root(sandbox)}/api",
                "ecd_subscription_key": DEMO_ECD_KEY,
                "apim_subscription_key": DEMO_PORTAL_KEY,
                "order_days": 30,
            },
        ).json()
        cid = channel["id"]
        catalog = (SAMPLE_DATA / "catalog.csv").read_bytes()
        api.put(f"/channels/{cid}/listings", content=catalog, headers={"Content-Type": "text/csv"})
        api.put(
            f"/channels/{cid}/shipping-mappings",
            json=[
                {"method": m, "carrier": "UPS", "service": m, "ecomdash_carrier_id": 42222}
                for m in METHODS
            ],
        )
        assert wait_run(api, trigger(api, cid, "link-listings"))["state"] == "succeeded"
    return channel


def all_orders(api: httpx.Client, channel_id: int) -> list[dict]:
    return api.get(f"/channels/{channel_id}/orders", params={"limit": 500}).json()["data"]


def test_killed_during_get_orders_the_next_run_imports_the_rest_once(
    server, sandbox, linked_channel, report
):
    cid = linked_channel["id"]
    with admin(server) as api:
        slow(sandbox, 0.3)
        killed = trigger(api, cid, "get-orders")
        time.sleep(2.5)
        server.kill()
        server.start()
        before = len(all_orders(api, cid))

        rerun = wait_run(api, trigger(api, cid, "get-orders"))
        assert rerun["state"] == "succeeded", rerun
        assert api.get(f"/runs/{killed}").json()["state"] == "abandoned"
        imported = [o["ecomdash_order_id"] for o in all_orders(api, cid)]
        again = wait_run(api, trigger(api, cid, "get-orders"))

    assert 0 < before < len(imported)  # the kill landed mid-run
    assert max(Counter(imported).values()) == 1
    assert again["counts"].get("imported", 0) == 0
    assert rerun["counts"]["imported"] == len(imported) - before
    report(
        imported_before_kill=before,
        imported_by_rerun=rerun["counts"]["imported"],
        duplicates=0,
        lost=0,
    )


def test_killed_during_sync_orders_each_order_ends_with_one_shipment(
    server, sandbox, linked_channel, report
):
    cid = linked_channel["id"]
    with admin(server) as api:
        assert wait_run(api, trigger(api, cid, "get-orders"))["state"] == "succeeded"
        ready = [o for o in all_orders(api, cid) if o["state"] == "ready"]
        assert len(ready) >= 5
        for i, order in enumerate(ready):
            detail = api.get(f"/orders/{order['id']}").json()
            lines = [{"sku": line["sku"], "quantity": line["quantity"]} for line in detail["lines"]]
            shipment = {"tracking_number": f"1ZKILL{i:04d}", "lines": lines}
            assert api.post(f"/orders/{order['id']}/shipments", json=shipment).status_code == 201
        slow(sandbox, 0.4)
        trigger(api, cid, "sync-orders")
        time.sleep(2.0)
        server.kill()
        server.start()
        slow(sandbox, 0)

        rerun = wait_run(api, trigger(api, cid, "sync-orders"))
        assert rerun["state"] == "succeeded", rerun
        states = [api.get(f"/orders/{o['id']}/shipments").json()[0]["state"] for o in ready]

    assert set(states) == {"confirmed"}
    remote = {}
    for order in ready:
        url = f"{sandbox_root(sandbox)}/api/orders/{order['ecomdash_order_id']}/shipments"
        remote[order["ecomdash_order_id"]] = httpx.get(url, headers=KEYS).json()["data"]
    duplicates = sum(len(s) - 1 for s in remote.values())
    assert duplicates == 0
    assert all(
        item["IsShipped"] and item["TrackingNumber"].startswith("1ZKILL")
        for shipments in remote.values()
        for item in shipments[0]["Items"]
    )
    report(shipments=len(ready), confirmed=len(ready), duplicates=duplicates, lost=0)
