"""The whole OpenAPI surface fuzzed with schemathesis: never a 500, every error one JSON shape.

Requests go through the app in-process with the admin token, against a channel with listings,
so generated ids sometimes hit real rows. ``FEED_SOAK`` raises the examples per operation.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from feed.app import create_app
from feed.settings import Settings
from tests.conftest import ADMIN_TOKEN, SECRET_KEY
from tests.factories import make_channel, make_listing, put_listings
from tests.operations.helpers import SANDBOX
from tests.reliability.conftest import SOAK

ERROR_KEYS = {"error", "detail"}
SEEN: dict[str, int] = {}


def _openapi() -> dict:
    """The app's OpenAPI document; building it needs no database."""
    settings_ = Settings(ADMIN_TOKEN=ADMIN_TOKEN, SECRET_KEY=SECRET_KEY, AUTO_MIGRATE=False)
    return create_app(settings_).openapi()


schema = schemathesis.openapi.from_dict(_openapi())


@pytest.fixture(autouse=True)
def channel_with_listings(client):
    channel = make_channel(client, **SANDBOX)
    put_listings(client, channel["id"], [make_listing(sku=f"S-{i}") for i in range(3)])


@schema.parametrize()
@settings(
    max_examples=150 if SOAK else 12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=not SOAK,
)
def test_no_server_error_and_one_error_shape(case, client):
    kwargs = case.as_transport_kwargs()
    kwargs.pop("base_url", None)
    if not kwargs.get("cookies"):
        kwargs.pop("cookies", None)
    if isinstance(kwargs.get("data"), (bytes, str)):
        kwargs["content"] = kwargs.pop("data")
    response = client.request(**kwargs)
    SEEN[str(response.status_code)] = SEEN.get(str(response.status_code), 0) + 1
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, response.text
    if response.status_code >= 400 and case.method.upper() != "HEAD":
        assert set(response.json()) == ERROR_KEYS, response.text
