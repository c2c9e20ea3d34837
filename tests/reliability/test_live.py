"""A running `feed serve` under concurrent writers, and with its PostgreSQL restarted under it."""

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text

from tests.conftest import ADMIN_TOKEN, BACKENDS, POSTGRES_URL
from tests.reliability.processes import admin, base, feed_env, feed_server, free_port

WRITERS = 200


def own_postgres_database(name: str) -> str:
    """A database of its own on the test server: the server process migrates it from scratch,
    and the other tests' database is left alone."""
    url = make_url(POSTGRES_URL)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "postgres":
        return own_postgres_database("feed_live")
    return f"sqlite:///{tmp_path / 'feed.db'}"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def test_200_concurrent_listing_updates_lose_nothing_and_never_deadlock(
    tmp_path, database_url, report
):
    server = feed_server(tmp_path, feed_env(tmp_path, database_url)).start()
    try:
        with admin(server) as api:
            cid = api.post("/channels", json={"name": "c", "ecd_subscription_key": "k"}).json()[
                "id"
            ]

        async def writer(http: httpx.AsyncClient, i: int) -> tuple[int, float]:
            # Each writer owns one SKU and also writes the shared one: one row, many writers.
            body = [
                {"sku": f"W-{i:03d}", "name": f"writer {i}", "quantity": i},
                {"sku": "SHARED", "name": f"writer {i}", "quantity": i},
            ]
            started = time.perf_counter()
            response = await http.put(f"/channels/{cid}/listings", json=body)
            return response.status_code, time.perf_counter() - started

        async def storm() -> list[tuple[int, float]]:
            async with httpx.AsyncClient(
                base_url=base(server) + "/api/v1",
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                timeout=120,
                limits=httpx.Limits(max_connections=WRITERS),
            ) as http:
                return await asyncio.gather(*(writer(http, i) for i in range(WRITERS)))

        started = time.perf_counter()
        results = asyncio.run(storm())
        elapsed = time.perf_counter() - started
        statuses = [status for status, _ in results]
        assert statuses == [200] * WRITERS

        with admin(server) as api:
            page = api.get(f"/channels/{cid}/listings", params={"limit": 1000}).json()["data"]
        stored = {x["sku"]: x for x in page}
        assert len(stored) == WRITERS + 1
        lost = sum(stored[f"W-{i:03d}"]["quantity"] != i for i in range(WRITERS))
        assert lost == 0
        shared = stored["SHARED"]
        assert shared["name"] == f"writer {shared['quantity']}"  # one writer's row, whole
    finally:
        server.stop()
    latencies = [seconds for _, seconds in results]
    report(
        requests=WRITERS,
        errors=0,
        lost=lost,
        seconds=round(elapsed, 2),
        p99_ms=round(percentile(latencies, 0.99) * 1000),
    )


PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
can_run_postgres = PG_BIN is not None and os.geteuid() == 0 and shutil.which("runuser")


class Cluster:
    """A PostgreSQL cluster of the test's own, so it can be stopped and started at will."""

    def __init__(self) -> None:
        # Not under pytest's tmp_path: the postgres user cannot enter root's 0700 folders.
        self.data = Path(tempfile.mkdtemp(prefix="feed-pg-restart-"))
        shutil.chown(self.data, "postgres", "postgres")
        self.port = free_port()
        self._as_postgres("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def _as_postgres(self, tool: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / tool), *args],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.data / "server.log")
        self._as_postgres("pg_ctl", "-D", str(self.data), "-w", "-l", log, "-o", options, "start")

    def stop(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.mark.skipif(not can_run_postgres, reason="needs PostgreSQL's binaries and root")
def test_postgres_restarted_under_the_server_fails_cleanly_and_recovers(tmp_path, report):
    cluster = Cluster()
    cluster.start()
    server = feed_server(tmp_path, feed_env(tmp_path, cluster.url)).start()
    try:
        with admin(server) as api:
            created = api.post("/channels", json={"name": "pg", "ecd_subscription_key": "k"})
            assert created.status_code == 201
            cluster.stop()

            down = [api.get("/channels") for _ in range(5)]
            ready_down = httpx.get(base(server) + "/readyz")
            assert ready_down.status_code == 503
            assert {r.status_code for r in down} == {503}
            assert down[0].json()["error"] == "DatabaseUnavailableError"
            assert down[0].headers["retry-after"] == "5"
            assert httpx.get(base(server) + "/healthz").status_code == 200  # the process is up

            cluster.start()
            deadline = time.monotonic() + 30
            while httpx.get(base(server) + "/readyz").status_code != 200:
                assert time.monotonic() < deadline, "readyz never recovered"
                time.sleep(0.2)
            recovered = api.get("/channels")
            assert recovered.status_code == 200
            assert recovered.json()["count"] == 1
            assert server.popen.poll() is None  # no restart of the service
    finally:
        server.stop()
        cluster.stop()
        shutil.rmtree(cluster.data, ignore_errors=True)
    report(requests_while_down=6, answered_503=6, crashes=0, recovered_without_restart=True)
