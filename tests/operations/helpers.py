"""Triggering operations through the API and waiting for their runs."""

import time

from feed.ecomdash.sandbox.seed import DEMO_ECD_KEY, DEMO_PORTAL_KEY

SANDBOX = {
    "base_url": "http://sandbox.test/api",
    "ecd_subscription_key": DEMO_ECD_KEY,
    "apim_subscription_key": DEMO_PORTAL_KEY,
}


def trigger(client, channel_id, operation, *, expect=202, **options) -> dict:
    response = client.post(
        f"/api/v1/channels/{channel_id}/operations/{operation}", json=options or None
    )
    assert response.status_code == expect, response.text
    return response.json()


def wait_for(client, run_id: int) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run = client.get(f"/api/v1/runs/{run_id}").json()
        if run["state"] not in ("queued", "running"):
            return run
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} did not finish")


def run(client, channel_id, operation, **options) -> dict:
    return wait_for(client, trigger(client, channel_id, operation, **options)["id"])
