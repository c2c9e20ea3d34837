"""429s with ``Retry-After`` during each operation, with real waits: the runs wait, then finish.

The rest of the suite makes retries instant; here the client really sleeps for what ecomdash's
``Retry-After`` says, so a run that ignored it would finish too early (and be throttled again).
"""

import time

import pytest

from feed.ecomdash.sandbox.faults import Faults
from tests.operations.helpers import run

RETRY_AFTER = 1
THROTTLED = 2


@pytest.fixture
def instant_retries():
    """Overrides the suite-wide fixture: retries wait for real here."""
    return


def throttle(account) -> None:
    account.set_faults(
        Faults(
            throttle_next=THROTTLED,
            throttle_retry_after=RETRY_AFTER,
            calls_per_minute=1_000_000,
        )
    )


@pytest.mark.parametrize("operation", ["link-listings", "sync-listings", "get-orders"])
def test_runs_wait_out_retry_after_and_finish(
    client,
    linked,
    account,
    sandbox_state,
    report,
    operation,
):
    throttle(account)
    sandbox_state.requests.clear()
    started = time.monotonic()

    result = run(client, linked["id"], operation)

    elapsed = time.monotonic() - started
    assert result["state"] == "succeeded", result
    statuses = [r["status"] for r in sandbox_state.requests]
    assert statuses[:THROTTLED] == [429] * THROTTLED
    assert 200 in statuses[THROTTLED:]
    assert elapsed >= THROTTLED * RETRY_AFTER * 0.9  # waited as told, not hammered
    report(throttled=THROTTLED, retry_after_s=RETRY_AFTER, seconds=round(elapsed, 2))
