from feed.ecomdash.sandbox.seed import DEMO_ECD_KEY, DEMO_PORTAL_KEY
from tests.factories import make_channel

SANDBOX = {
    "base_url": "http://sandbox.test/api",
    "ecd_subscription_key": DEMO_ECD_KEY,
    "apim_subscription_key": DEMO_PORTAL_KEY,
}


def test_a_working_connection_lists_the_warehouses(client):
    channel = make_channel(client, **SANDBOX)
    check = client.post(f"/api/v1/channels/{channel['id']}/connection/check").json()
    assert check["ok"] is True
    assert [w["id"] for w in check["warehouses"]] == [4865, 3272]


def test_a_wrong_key_says_why(client):
    channel = make_channel(client, **SANDBOX | {"ecd_subscription_key": "wrong"})
    check = client.post(f"/api/v1/channels/{channel['id']}/connection/check").json()
    assert check["ok"] is False
    assert check["status_code"] == 403
    assert "ecd-subscription-key" in check["error"]
    assert "wrong" not in check["error"]


def test_a_changed_key_takes_effect_on_the_next_check(client):
    channel = make_channel(client, **SANDBOX | {"apim_subscription_key": "stale"})
    first = client.post(f"/api/v1/channels/{channel['id']}/connection/check").json()
    client.patch(
        f"/api/v1/channels/{channel['id']}", json={"apim_subscription_key": DEMO_PORTAL_KEY}
    )
    second = client.post(f"/api/v1/channels/{channel['id']}/connection/check").json()
    assert first["status_code"] == 401
    assert second["ok"] is True
