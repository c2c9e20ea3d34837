"""The reliability suite's scale and its figures.

``FEED_SOAK=1`` (see ``bench/soak.sh``) runs the same cases longer and heavier: more items,
real 5-second latency spikes, more rounds. Each case records its counts with ``report``; the
table is printed at the end of the run and, with ``FEED_RELIABILITY_REPORT=path``, written as
JSON lines for RELIABILITY.md.
"""

import json
import os
import time
from typing import Any

import pytest

from feed.demo import SAMPLE_DATA
from tests.factories import make_channel, put_csv
from tests.operations.helpers import SANDBOX, trigger

SOAK = bool(os.environ.get("FEED_SOAK"))
SCALE: dict[str, Any] = {
    "orders": 600 if SOAK else 120,
    "shipments": 200 if SOAK else 40,
    "changed_listings": 110,
    "spike_seconds": 5.0 if SOAK else 0.2,
    "spike_rate": 0.02,
    "rounds": 5 if SOAK else 1,
}
_RESULTS: list[dict[str, Any]] = []
ENDED = {"succeeded", "partially_failed", "failed"}


@pytest.fixture
def report(request):
    def record(**figures: Any) -> None:
        entry = {"case": request.node.name, **figures}
        _RESULTS.append(entry)
        if path := os.environ.get("FEED_RELIABILITY_REPORT"):
            with open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, default=str) + "\n")

    return record


def pytest_terminal_summary(terminalreporter):
    if not _RESULTS:
        return
    terminalreporter.section("reliability figures")
    for entry in _RESULTS:
        figures = ", ".join(f"{k}={v}" for k, v in entry.items() if k != "case")
        terminalreporter.write_line(f"{entry['case']}: {figures}")


def finish(client, channel_id: int, operation: str, timeout: float = 300) -> dict:
    """Runs the operation; the run must end (no hang) within ``timeout``."""
    run_id = trigger(client, channel_id, operation)["id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/v1/runs/{run_id}").json()
        if run["state"] in ENDED:
            return run
        time.sleep(0.05)
    raise AssertionError(f"{operation} run {run_id} still {run['state']} after {timeout} s")


@pytest.fixture
def channel(client, account):
    """The demo catalog (110 of its listings exist in the sandbox), nothing linked yet."""
    account.orders.clear()
    account.line_items.clear()
    channel = make_channel(client, **SANDBOX)
    put_csv(client, channel["id"], (SAMPLE_DATA / "catalog.csv").read_bytes())
    client.put(
        f"/api/v1/channels/{channel['id']}/shipping-mappings",
        json=[
            {
                "method": "Ground",
                "carrier": "UPS",
                "service": "Ground",
                "ecomdash_carrier_id": 42222,
            }
        ],
    )
    return channel


@pytest.fixture
def linked(client, channel, account):
    assert finish(client, channel["id"], "link-listings")["counts"]["linked"] == 110
    return channel
