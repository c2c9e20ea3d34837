"""The reliability suite's scale and its figures.

``FEED_SOAK=1`` (see ``bench/soak.sh``) runs the same cases longer and heavier: more items,
real 5-second latency spikes, more rounds. Each case records its counts with ``report``; the
table is printed at the end of the run and, with ``FEED_RELIABILITY_REPORT=path``, written as
JSON lines for RELIABILITY.md.
"""

import json
import os
from typing import Any

import pytest

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
