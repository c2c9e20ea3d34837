"""get-orders' acknowledgement step: after the local commit, retried, never re-importing."""

import pytest

import feed.operations.acknowledge as acknowledge
from tests.operations.helpers import run
from tests.operations.test_get_orders import (  # noqa: F401 - fixtures
    add_order,
    channel,
    only_test_orders,
    orders,
)

ACK_URL = "http://receiver.test/_sandbox/acks/oms"


@pytest.fixture(autouse=True)
def ground_is_mapped(client, channel):  # noqa: F811 - the fixture imported above
    mapping = {"method": "Ground", "carrier": "USPS", "service": "Ground"}
    client.put(f"/api/v1/channels/{channel['id']}/shipping-mappings", json=[mapping])


@pytest.fixture
def acking(client, channel):  # noqa: F811
    response = client.patch(
        f"/api/v1/channels/{channel['id']}",
        json={"acknowledge_orders": True, "order_ack_url": ACK_URL},
    )
    assert response.status_code == 200, response.text
    assert response.json()["acknowledge_orders"] is True
    return response.json()


def received(sandbox_state):
    return sandbox_state.acks.get("oms", [])


def test_off_by_default_nothing_is_acknowledged(client, channel, account, sandbox_state):  # noqa: F811
    add_order(account)

    result = run(client, channel["id"], "get-orders")

    assert channel["acknowledge_orders"] is False
    assert result["counts"] == {"imported": 1}
    assert received(sandbox_state) == []
    [order] = orders(client, channel["id"])
    assert order["acknowledged_at"] is None


def test_acknowledging_needs_a_url(client, channel):  # noqa: F811
    response = client.patch(f"/api/v1/channels/{channel['id']}", json={"acknowledge_orders": True})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "order_ack_url"]
    assert client.get(f"/api/v1/channels/{channel['id']}").json()["acknowledge_orders"] is False
    bad = client.patch(
        f"/api/v1/channels/{channel['id']}",
        json={"acknowledge_orders": True, "order_ack_url": "not a url"},
    )
    assert bad.status_code == 422


def test_each_imported_order_is_acknowledged_once_after_its_commit(
    client,
    acking,
    account,
    sandbox_state,
):
    first_id = add_order(account)
    second_id = add_order(account, method="Carrier Pigeon")

    first = run(client, acking["id"], "get-orders")
    again = run(client, acking["id"], "get-orders")

    assert first["counts"] == {"imported": 2, "held": 1, "acknowledged": 2}
    assert again["counts"] == {"already_imported": 2}
    acks = received(sandbox_state)
    assert [a["body"]["ecomdash_order_id"] for a in acks] == [first_id, second_id]
    assert acks[0]["idempotency_key"] == f"ecomdash-feed:{acking['id']}:{first_id}"
    assert acks[1]["body"]["state"] == "held"
    assert acks[1]["body"]["hold_reasons"] == ['unmapped_shipping: "Carrier Pigeon"']
    for order in orders(client, acking["id"]):
        assert order["acknowledged_at"] is not None
        assert order["ack_error"] is None


def test_a_failed_acknowledgement_is_retried_without_reimporting(
    client, acking, account, sandbox_state
):
    add_order(account)
    add_order(account)
    sandbox_state.ack_failures["oms"] = (2, 503)

    failed = run(client, acking["id"], "get-orders")

    assert failed["state"] == "partially_failed"
    assert failed["counts"] == {"imported": 2, "ack_failed": 2}
    assert "HTTP 503" in failed["errors"][0]["message"]
    assert all(o["ack_error"].startswith("HTTP 503") for o in orders(client, acking["id"]))
    assert received(sandbox_state) == []

    retried = run(client, acking["id"], "get-orders")

    assert retried["state"] == "succeeded"
    assert retried["counts"] == {"already_imported": 2, "acknowledged": 2}
    assert len(received(sandbox_state)) == 2
    assert len(orders(client, acking["id"])) == 2


def test_a_crash_between_commit_and_acknowledgement_is_acknowledged_on_rerun(
    client, acking, account, sandbox_state, monkeypatch
):
    ecomdash_id = add_order(account)

    async def crash(*args, **kwargs):
        raise RuntimeError("process died")

    monkeypatch.setattr(acknowledge, "_send", crash)
    crashed = run(client, acking["id"], "get-orders")
    monkeypatch.undo()

    assert crashed["state"] == "failed"
    [order] = orders(client, acking["id"])
    assert order["ecomdash_order_id"] == ecomdash_id  # committed before the acknowledgement
    assert order["acknowledged_at"] is None

    rerun = run(client, acking["id"], "get-orders")

    assert rerun["counts"] == {"already_imported": 1, "acknowledged": 1}
    assert len(orders(client, acking["id"])) == 1
    assert [a["body"]["ecomdash_order_id"] for a in received(sandbox_state)] == [ecomdash_id]


def test_a_receiver_that_keeps_failing_is_left_alone_until_the_next_run(
    client, acking, account, sandbox_state
):
    for _ in range(acknowledge.MAX_CONSECUTIVE_FAILURES + 2):
        add_order(account)
    sandbox_state.ack_failures["oms"] = (100, 500)

    result = run(client, acking["id"], "get-orders")

    assert result["counts"]["ack_failed"] == acknowledge.MAX_CONSECUTIVE_FAILURES
    assert result["counts"]["ack_deferred"] == 2
