import logging
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from feed.app import create_app
from feed.db import utcnow
from feed.export.builder import build_due, due_channel_ids
from tests.conftest import ADMIN_TOKEN
from tests.factories import feed_path, make_channel, make_listing, put_listings


def test_changes_are_due_after_the_debounce(client, engine, settings):
    channel = make_channel(client)
    put_listings(client, channel["id"], [make_listing()])
    now = utcnow()
    with engine.connect() as conn:
        assert due_channel_ids(conn, now, debounce=2, max_delay=30) == []
        later = now + timedelta(seconds=3)
        assert due_channel_ids(conn, later, debounce=2, max_delay=30) == [channel["id"]]


def test_a_steady_stream_of_changes_is_built_by_the_max_delay(client, engine):
    channel = make_channel(client)
    put_listings(client, channel["id"], [make_listing()])
    much_later = utcnow() + timedelta(seconds=31)
    put_listings(client, channel["id"], [make_listing(quantity=2)])
    with engine.connect() as conn:
        # The latest change is recent, but the first pending one is older than max_delay.
        assert due_channel_ids(conn, much_later, debounce=3600, max_delay=30) == [channel["id"]]


def test_one_build_covers_a_burst(client, engine, settings):
    channel = make_channel(client)
    for quantity in range(5):
        put_listings(client, channel["id"], [make_listing(quantity=quantity)])

    assert build_due(engine, settings.DATA_DIR, 1, debounce=0, max_delay=0) == 1
    assert build_due(engine, settings.DATA_DIR, 1, debounce=0, max_delay=0) == 0
    status = client.get(f"/api/v1/channels/{channel['id']}/export").json()
    assert status["pending_changes"] is False


@pytest.mark.usefixtures("engine")
def test_background_builder_rebuilds_once_after_a_burst(settings, engine, caplog):
    settings = settings.model_copy(
        update={"FEED_AUTOBUILD": True, "FEED_BUILD_DEBOUNCE": 0.8, "FEED_BUILD_POLL": 0.05}
    )
    caplog.set_level(logging.INFO, logger="feed.export.snapshot")
    app = create_app(settings, engine)
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Accept-Encoding": "identity"}
    with TestClient(app, headers=headers) as client:
        channel = make_channel(client)
        caplog.clear()
        for i in range(5):
            put_listings(client, channel["id"], [make_listing(sku=f"B{i}", upc=None)])
        deadline = time.monotonic() + 10
        status = client.get(f"/api/v1/channels/{channel['id']}/export").json()
        while status["pending_changes"] and time.monotonic() < deadline:
            time.sleep(0.05)
            status = client.get(f"/api/v1/channels/{channel['id']}/export").json()
        assert status["pending_changes"] is False
        assert status["formats"]["csv"]["rows"] == 5
        assert client.get(feed_path(status)).text.count("\r\n") == 6
    csv_builds = [r for r in caplog.records if "format=csv" in r.getMessage()]
    assert len(csv_builds) == 1
