import csv
import hashlib
import io
import threading

from fastapi.testclient import TestClient
from sqlalchemy import update

from feed.export.builder import build_and_record
from feed.export.snapshot import channel_dir
from feed.models import Channel
from tests.factories import build_feed, feed_path, make_channel, make_listing, put_listings


def _catalog(quantity: int, count: int = 1500):
    return [make_listing(sku=f"S{i:05d}", quantity=quantity, upc=None) for i in range(count)]


def test_readers_during_rebuilds_get_whole_feeds(app, client, settings):
    channel = make_channel(client)
    put_listings(client, channel["id"], _catalog(0))
    export = build_feed(client, channel["id"])
    reader = TestClient(app, headers={"Accept-Encoding": "identity"})
    problems: list[str] = []
    etags: set[str] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            response = reader.get(feed_path(export))
            body = response.content
            etag = response.headers["etag"].strip('"')
            if hashlib.sha256(body).hexdigest()[:32] != etag:
                problems.append(f"body does not match etag {etag}")
            rows = list(csv.reader(io.StringIO(body.decode())))
            declared = int(response.headers["x-feed-rows"])
            if len(rows) - 1 != declared:
                problems.append(f"{len(rows) - 1} rows, header says {declared}")
            etags.add(etag)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for quantity in range(1, 6):
            put_listings(client, channel["id"], _catalog(quantity))
            build_feed(client, channel["id"])
    finally:
        stop.set()
        thread.join()
    assert problems == []
    assert len(etags) >= 2


def test_failed_rebuild_keeps_serving_the_last_good_feed(client, anonymous, engine, settings):
    channel = make_channel(client)
    put_listings(client, channel["id"], [make_listing()])
    export = build_feed(client, channel["id"])
    good = anonymous.get(feed_path(export)).content
    with engine.begin() as conn:
        conn.execute(
            update(Channel.__table__)
            .where(Channel.__table__.c.id == channel["id"])
            .values(export_template=[{"header": "X", "source": "no_such_field"}])
        )

    build_and_record(engine, channel["id"], settings.DATA_DIR, 1)

    assert anonymous.get(feed_path(export)).content == good
    status = client.get(f"/api/v1/channels/{channel['id']}/export").json()
    assert "no_such_field" in status["last_error"]
    leftovers = [
        p.name
        for p in channel_dir(settings.DATA_DIR, channel["id"]).iterdir()
        if p.name.endswith(".tmp")
    ]
    assert leftovers == []


def test_superseded_files_are_collected_after_the_grace_period(client, settings, monkeypatch):
    from feed.export import snapshot

    monkeypatch.setattr(snapshot, "GC_GRACE_SECONDS", -1)
    channel = make_channel(client)
    for quantity in (1, 2, 3):
        put_listings(client, channel["id"], [make_listing(quantity=quantity)])
        build_feed(client, channel["id"])
    names = sorted(p.name for p in channel_dir(settings.DATA_DIR, channel["id"]).iterdir())
    assert len(names) == 4  # csv, csv.gz, json, json.gz of the live snapshot only


def test_a_dead_builds_temporary_files_are_collected_once_stale(client, settings):
    """A build killed mid-write leaves ``*.tmp`` files; the next build removes them once they
    have not been written for the grace period (a live build keeps touching its own)."""
    import os
    import time

    from feed.export import snapshot

    channel = make_channel(client)
    put_listings(client, channel["id"], [make_listing()])
    build_feed(client, channel["id"])
    directory = channel_dir(settings.DATA_DIR, channel["id"])
    stale = directory / "tmpdead.csv.tmp"
    fresh = directory / "tmplive.csv.tmp"
    for path in (stale, fresh):
        path.write_bytes(b"SKU,Name\r\nhalf")
    old = time.time() - snapshot.GC_GRACE_SECONDS - 60
    os.utime(stale, (old, old))

    put_listings(client, channel["id"], [make_listing(quantity=9)])
    build_feed(client, channel["id"])

    assert not stale.exists()
    assert fresh.exists()
