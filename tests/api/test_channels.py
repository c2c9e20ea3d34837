from sqlalchemy import select

from feed.models import Channel
from tests.conftest import ADMIN_TOKEN
from tests.factories import make_channel

SECRET = "ecd-secret-key-value"


class TestChannelCrud:
    def test_create_returns_channel_without_secrets(self, client):
        created = make_channel(client, apim_subscription_key="portal-key", application_id="app-7")

        assert created["name"] == "demo"
        assert created["application_id"] == "app-7"
        assert created["has_apim_subscription_key"] is True
        assert created["base_url"] == "https://ecomdash.azure-api.net/api"
        assert [c["header"] for c in created["export_template"]][:3] == [
            "SKU",
            "Name",
            "Quantity On Hand",
        ]
        body = str(created)
        assert SECRET not in body
        assert "portal-key" not in body
        assert "ecd_subscription_key" not in created

    def test_secrets_are_stored_encrypted(self, client, engine):
        make_channel(client, apim_subscription_key="portal-key")

        with engine.connect() as conn:
            row = conn.execute(select(Channel.__table__)).one()
        assert SECRET not in row.ecd_subscription_key_enc
        assert "portal-key" not in (row.apim_subscription_key_enc or "")

    def test_list_get_patch_delete(self, client):
        channel = make_channel(client)
        other = make_channel(client, name="second")

        listed = client.get("/api/v1/channels").json()
        assert listed["count"] == 2
        assert [c["name"] for c in listed["data"]] == ["demo", "second"]

        got = client.get(f"/api/v1/channels/{channel['id']}").json()
        assert got["id"] == channel["id"]

        patched = client.patch(
            f"/api/v1/channels/{channel['id']}",
            json={"name": "renamed", "ecd_subscription_key": "new-key", "export_bom": True},
        )
        assert patched.status_code == 200
        assert patched.json()["name"] == "renamed"
        assert patched.json()["export_bom"] is True
        assert "new-key" not in patched.text

        assert client.delete(f"/api/v1/channels/{other['id']}").status_code == 204
        assert client.get(f"/api/v1/channels/{other['id']}").status_code == 404

    def test_duplicate_name_is_409(self, client):
        make_channel(client)
        response = client.post(
            "/api/v1/channels", json={"name": "demo", "ecd_subscription_key": "k"}
        )
        assert response.status_code == 409
        assert response.json()["error"] == "ConflictError"

    def test_rename_onto_existing_name_is_409(self, client):
        make_channel(client)
        second = make_channel(client, name="second")
        response = client.patch(f"/api/v1/channels/{second['id']}", json={"name": "demo"})
        assert response.status_code == 409

    def test_unknown_channel_is_404_in_error_shape(self, client):
        response = client.get("/api/v1/channels/999")
        assert response.status_code == 404
        assert response.json() == {"error": "NotFoundError", "detail": "channel 999 not found"}

    def test_missing_ecd_key_is_422_naming_the_field(self, client):
        response = client.post("/api/v1/channels", json={"name": "x"})
        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "ValidationError"
        assert ["body", "ecd_subscription_key"] in [d["loc"] for d in body["detail"]]

    def test_bad_base_url_is_422(self, client):
        response = client.post(
            "/api/v1/channels",
            json={"name": "x", "ecd_subscription_key": "k", "base_url": "not a url"},
        )
        assert response.status_code == 422


class TestAdminAuth:
    def test_missing_token_is_401(self, anonymous):
        response = anonymous.get("/api/v1/channels")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"] == "UnauthorizedError"

    def test_wrong_token_is_401(self, anonymous):
        response = anonymous.get(
            "/api/v1/channels", headers={"Authorization": f"Bearer {ADMIN_TOKEN}x"}
        )
        assert response.status_code == 401

    def test_openapi_docs_are_public(self, anonymous):
        assert anonymous.get("/docs").status_code == 200
        schema = anonymous.get("/openapi.json").json()
        assert "/api/v1/channels/{channel_id}/listings" in schema["paths"]


class TestExportTemplate:
    def test_unknown_source_field_is_422(self, client):
        response = client.post(
            "/api/v1/channels",
            json={
                "name": "x",
                "ecd_subscription_key": "k",
                "export_template": [{"header": "SKU", "source": "skew"}],
            },
        )
        assert response.status_code == 422
        assert "unknown source field 'skew'" in response.text

    def test_duplicate_header_is_422(self, client):
        channel = make_channel(client)
        response = client.patch(
            f"/api/v1/channels/{channel['id']}",
            json={
                "export_template": [
                    {"header": "SKU", "source": "sku"},
                    {"header": "sku", "source": "name"},
                ]
            },
        )
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "export_template"]

    def test_dropping_a_column_warns_to_remap(self, client):
        channel = make_channel(client)
        template = channel["export_template"]
        without_cost = [c for c in template if c["header"] != "Cost"]

        response = client.patch(
            f"/api/v1/channels/{channel['id']}", json={"export_template": without_cost}
        )

        assert response.status_code == 200
        assert response.json()["warnings"] == [
            "column 'Cost' was removed or renamed: re-map the import format in ecomdash"
        ]

    def test_adding_a_column_at_the_end_does_not_warn(self, client):
        channel = make_channel(client)
        template = channel["export_template"] + [{"header": "MPN", "source": "mpn"}]
        response = client.patch(
            f"/api/v1/channels/{channel['id']}", json={"export_template": template}
        )
        assert response.json()["warnings"] == []

    def test_reordering_warns(self, client):
        channel = make_channel(client)
        template = list(reversed(channel["export_template"]))
        response = client.patch(
            f"/api/v1/channels/{channel['id']}", json={"export_template": template}
        )
        assert any("reordered" in w for w in response.json()["warnings"])
