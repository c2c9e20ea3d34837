"""The multi-process CSV build: byte-identical to the one-process build, one gzip member, and
abandoned when the listings change under its workers."""

import gzip
import zlib

import pytest
from sqlalchemy import select, update

from feed.export import parallel
from feed.export.snapshot import SNAPSHOT, build_snapshot, channel_dir
from feed.models import Channel
from tests.factories import make_channel, make_listing, put_listings

ROWS = 1200


@pytest.fixture
def channel(client, engine, monkeypatch):
    if engine.dialect.name != "sqlite":
        pytest.skip("the parallel build reads SQLite files")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_ROWS", 100)
    channel = make_channel(client, export_bom=True)
    listings = [
        make_listing(
            sku=f"P-{i:05d}",
            name=f'Name {i}, with "quotes"\nand a line break, é' if i % 7 == 0 else f"Name {i}",
            quantity=i,
            upc=None,
            images=[f"https://img.example.com/{i}/{k}.jpg" for k in range(i % 4)],
        )
        for i in range(ROWS)
    ]
    assert put_listings(client, channel["id"], listings).status_code == 200
    return channel


def snapshot(engine, channel_id: int) -> dict:
    with engine.connect() as conn:
        row = conn.execute(
            select(SNAPSHOT).where(SNAPSHOT.c.channel_id == channel_id, SNAPSHOT.c.format == "csv")
        ).one()
    return dict(row._mapping)


def files(settings, row) -> tuple[bytes, bytes]:
    directory = channel_dir(settings.DATA_DIR, row["channel_id"])
    return (directory / row["file_name"]).read_bytes(), (
        directory / row["gzip_file_name"]
    ).read_bytes()


@pytest.mark.parametrize("processes", [2, 3])
def test_parallel_build_is_byte_identical_to_the_single_process_build(
    engine, settings, channel, processes
):
    build_snapshot(engine, channel["id"], settings.DATA_DIR, 6, processes=1)
    single = snapshot(engine, channel["id"])
    single_plain, _ = files(settings, single)
    (channel_dir(settings.DATA_DIR, channel["id"]) / single["gzip_file_name"]).unlink()

    build_snapshot(engine, channel["id"], settings.DATA_DIR, 6, processes=processes)
    many = snapshot(engine, channel["id"])
    plain, gz = files(settings, many)

    assert many["etag"] == single["etag"]
    assert plain == single_plain
    assert many["rows"] == ROWS
    assert plain.startswith(b"\xef\xbb\xbfSKU,")  # the BOM and header once, at the start
    assert plain.count(b"SKU,Name") == 1
    # One gzip member: a decoder that stops after the first member still gets everything.
    one_member = zlib.decompressobj(31)
    assert one_member.decompress(gz) == plain
    assert one_member.eof
    assert one_member.unused_data == b""
    assert gzip.decompress(gz) == plain


def test_a_small_channel_is_built_in_one_process(engine, settings, channel, monkeypatch):
    monkeypatch.setattr(parallel, "PARALLEL_MIN_ROWS", ROWS + 1)
    calls = []
    monkeypatch.setattr(parallel.subprocess, "Popen", lambda *a, **k: calls.append(a))

    build_snapshot(engine, channel["id"], settings.DATA_DIR, 6, processes=2)

    assert calls == []
    assert snapshot(engine, channel["id"])["rows"] == ROWS


def test_a_change_under_the_workers_falls_back_to_one_consistent_process(
    engine, settings, channel, monkeypatch
):
    """The workers read a newer generation than the build's own transaction: their parts are
    dropped and the feed comes from the build's transaction alone."""
    original = parallel.build_csv_in_parallel
    outcomes = []

    def change_then_build(conn, ch, directory, level, processes):
        with engine.begin() as writer:
            writer.execute(
                update(Channel.__table__)
                .where(Channel.__table__.c.id == ch.id)
                .values(feed_generation=Channel.__table__.c.feed_generation + 1)
            )
        outcomes.append(original(conn, ch, directory, level, processes))
        return outcomes[-1]

    from feed.export import snapshot as snapshot_module

    monkeypatch.setattr(snapshot_module, "build_csv_in_parallel", change_then_build)
    build_snapshot(engine, channel["id"], settings.DATA_DIR, 6, processes=2)

    assert outcomes == [None]  # the parts were dropped
    row = snapshot(engine, channel["id"])
    assert row["rows"] == ROWS
    leftovers = list(channel_dir(settings.DATA_DIR, channel["id"]).iterdir())
    assert not [p for p in leftovers if p.name.endswith(".tmp")]


def test_a_failed_worker_falls_back_to_one_process(engine, settings, channel, monkeypatch):
    monkeypatch.setattr(parallel.sys, "executable", "/bin/false")

    build_snapshot(engine, channel["id"], settings.DATA_DIR, 6, processes=2)

    assert snapshot(engine, channel["id"])["rows"] == ROWS
    leftovers = [p.name for p in channel_dir(settings.DATA_DIR, channel["id"]).iterdir()]
    assert not [n for n in leftovers if n.endswith(".tmp")]


def test_a_stuck_worker_is_stopped_and_the_feed_built_in_one_process(
    engine, settings, channel, monkeypatch
):
    monkeypatch.setattr(parallel, "WORKER_TIMEOUT", 0.5)
    real_popen = parallel.subprocess.Popen

    def sleeper(args, **kwargs):
        return real_popen([args[0], "-c", "import time; time.sleep(60)"], **kwargs)

    monkeypatch.setattr(parallel.subprocess, "Popen", sleeper)

    build_snapshot(engine, channel["id"], settings.DATA_DIR, 6, processes=2)

    assert snapshot(engine, channel["id"])["rows"] == ROWS
