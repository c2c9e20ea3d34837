"""Clients fetching a feed while it is rebuilt: every answer is one whole feed, old or new.

CI runs 30,000 listings, 20 clients, 8 s; ``FEED_SOAK=1`` runs the issue's figure of
1,000,000 listings, 50 clients, 60 s.
"""

import asyncio
import hashlib
import threading
import time

import httpx
import pytest

from tests.reliability.conftest import SOAK
from tests.reliability.processes import admin, feed_env, feed_server
from tests.reliability.test_kill import catalog_csv
from tests.reliability.test_live import percentile

ROWS = 1_000_000 if SOAK else 30_000
CLIENTS = 50 if SOAK else 20
SECONDS = 60 if SOAK else 8


@pytest.fixture
def server(tmp_path):
    env = feed_env(tmp_path, FEED_AUTOBUILD="false", FEED_MAX_IMPORT_BYTES=str(2**30))
    process = feed_server(tmp_path, env).start()
    yield process
    process.stop()


def test_fetches_during_rebuilds_always_get_a_whole_feed(server, report):
    with admin(server) as api:
        api.timeout = httpx.Timeout(600)
        cid = api.post("/channels", json={"name": "load", "ecd_subscription_key": "k"}).json()["id"]
        catalog = catalog_csv(ROWS)
        csv_headers = {"Content-Type": "text/csv"}
        assert api.put(f"/channels/{cid}/listings", content=catalog, headers=csv_headers)
        del catalog
        url = api.post(f"/channels/{cid}/export").json()["csv_url"]

        stop = threading.Event()
        rebuilds = [0]

        def rebuild_forever() -> None:
            # Each full rebuild changes the bytes (the BOM comes and goes), not the row count.
            bom = True
            while not stop.is_set():
                api.patch(f"/channels/{cid}", json={"export_bom": bom})
                assert api.post(f"/channels/{cid}/export").status_code == 200
                rebuilds[0] += 1
                bom = not bom

        bodies: dict[str, str] = {}
        latencies: list[float] = []
        errors: list[str] = []

        async def fetch_until(deadline: float, http: httpx.AsyncClient) -> None:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                digest, newlines = hashlib.sha256(), 0
                try:
                    # Streamed: 50 clients holding whole 300 MB feeds would not fit in memory.
                    async with http.stream("GET", url) as response:
                        async for chunk in response.aiter_bytes():
                            digest.update(chunk)
                            newlines += chunk.count(b"\n")
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))
                    continue
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors.append(f"HTTP {response.status_code}")
                    continue
                rows = newlines - 1
                if rows != int(response.headers["x-feed-rows"]) or rows != ROWS:
                    errors.append(f"{rows} rows, header says {response.headers['x-feed-rows']}")
                if bodies.setdefault(response.headers["etag"], digest.hexdigest()) != (
                    digest.hexdigest()
                ):
                    errors.append("two different bodies under one ETag")

        async def clients() -> None:
            deadline = time.monotonic() + SECONDS
            limits = httpx.Limits(max_connections=CLIENTS)
            async with httpx.AsyncClient(timeout=120, limits=limits) as http:
                await asyncio.gather(*(fetch_until(deadline, http) for _ in range(CLIENTS)))

        writer = threading.Thread(target=rebuild_forever)
        writer.start()
        try:
            asyncio.run(clients())
        finally:
            stop.set()
            writer.join()

    assert errors == []
    assert rebuilds[0] >= 1
    assert len(bodies) >= 2  # clients saw the feed change under them
    report(
        rows=ROWS,
        clients=CLIENTS,
        seconds=SECONDS,
        requests=len(latencies),
        rebuilds=rebuilds[0],
        versions_seen=len(bodies),
        errors=len(errors),
        p50_ms=round(percentile(latencies, 0.5) * 1000),
        p99_ms=round(percentile(latencies, 0.99) * 1000),
    )
