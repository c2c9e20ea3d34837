from decimal import Decimal

import pytest

from tests.factories import csv_text, make_channel, make_listing, put_csv, put_listings


@pytest.fixture
def channel_id(client) -> int:
    return make_channel(client)["id"]


def listings(client, channel_id, **params):
    response = client.get(f"/api/v1/channels/{channel_id}/listings", params=params)
    assert response.status_code == 200, response.text
    return response.json()


class TestUpsertJson:
    def test_creates_then_updates_by_sku(self, client, channel_id):
        first = put_listings(client, channel_id, [make_listing(), make_listing(sku="SKU-2")])
        assert first.json() == {"received": 2, "created": 2, "updated": 0}

        second = put_listings(client, channel_id, [make_listing(quantity=9), make_listing(sku="N")])
        assert second.json() == {"received": 2, "created": 1, "updated": 1}
        got = client.get(f"/api/v1/channels/{channel_id}/listings/SKU-1").json()
        assert got["quantity"] == 9
        assert Decimal(got["price"]) == Decimal("19.99")

    def test_absent_keys_are_left_alone_and_null_clears(self, client, channel_id):
        put_listings(client, channel_id, [make_listing(brand="Acme")])
        put_listings(client, channel_id, [{"sku": "SKU-1", "quantity": 1, "upc": None}])

        got = client.get(f"/api/v1/channels/{channel_id}/listings/SKU-1").json()
        assert got["quantity"] == 1
        assert got["brand"] == "Acme"
        assert got["upc"] is None
        assert got["images"] == ["https://img.example.com/1.jpg"]

    def test_all_fields_round_trip(self, client, channel_id):
        full = make_listing(
            name="Café ™",
            short_description="short",
            description='A "quoted", long\ntext',
            brand="Zürich",
            ean="4006381333931",
            gtin="00036000291452",
            isbn="9780306406157",
            mpn="M-1",
            msrp="25",
            map_price="18.00",
            weight=1.5,
            condition="used",
            is_discontinued=True,
            supplier_sku="S-1",
            supplier_name="Supplier, Inc.",
            attributes={"Color": "Red"},
        )
        assert put_listings(client, channel_id, [full]).status_code == 200
        got = client.get(f"/api/v1/channels/{channel_id}/listings/SKU-1").json()
        assert got["condition"] == "Used"
        assert got["ean"] == "4006381333931"
        assert got["isbn"] == "9780306406157"
        assert Decimal(got["msrp"]) == Decimal("25.00")
        assert got["attributes"] == {"Color": "Red"}
        assert got["description"] == 'A "quoted", long\ntext'
        assert got["is_discontinued"] is True


class TestUpsertCsv:
    def test_csv_upsert_with_attributes_and_image_columns(self, client, channel_id):
        body = csv_text(
            [["A-1", "Mug, large", "12.5", "https://x.example/a.jpg", "", "Blue"]],
            headers=["SKU", "Name", "Price", "Image URL 1", "Image URL 2", "Color"],
        )
        response = put_csv(client, channel_id, body)
        assert response.status_code == 200, response.text
        got = client.get(f"/api/v1/channels/{channel_id}/listings/A-1").json()
        assert got["name"] == "Mug, large"
        assert Decimal(got["price"]) == Decimal("12.50")
        assert got["images"] == ["https://x.example/a.jpg"]
        assert got["attributes"] == {"Color": "Blue"}

    def test_utf8_bom_is_accepted(self, client, channel_id):
        body = "\ufeff" + csv_text([["B-1", "Crème brûlée torch"]], headers=["sku", "name"])
        assert put_csv(client, channel_id, body.encode("utf-8")).status_code == 200
        assert listings(client, channel_id)["data"][0]["name"] == "Crème brûlée torch"

    def test_sample_catalog_imports(self, client, channel_id):
        from feed.demo import SAMPLE_DATA

        response = put_csv(client, channel_id, (SAMPLE_DATA / "catalog.csv").read_bytes())
        assert response.status_code == 200, response.text
        assert response.json()["created"] == 300


class TestRejectedImports:
    """Every bad file is refused whole: 422 with row/column, and nothing is stored."""

    def assert_rejected(self, client, channel_id, response, row, column, fragment):
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["error"] == "ImportRejectedError"
        assert {"row": row, "column": column} in [
            {"row": e["row"], "column": e["column"]} for e in body["detail"]
        ], body
        assert any(fragment in e["message"] for e in body["detail"]), body
        assert listings(client, channel_id)["data"] == []

    def test_bad_number(self, client, channel_id):
        body = csv_text([["A", "x", "", "", "", "", "5", "1.00", "$12", ""]])
        self.assert_rejected(
            client, channel_id, put_csv(client, channel_id, body), 2, "price", "not a number"
        )

    def test_missing_sku_in_a_row(self, client, channel_id):
        body = csv_text([["A", "ok"] + [""] * 8, ["", "no sku"] + [""] * 8])
        self.assert_rejected(
            client, channel_id, put_csv(client, channel_id, body), 3, "sku", "SKU is required"
        )

    def test_missing_sku_column(self, client, channel_id):
        body = csv_text([["x"]], headers=["name"])
        self.assert_rejected(
            client, channel_id, put_csv(client, channel_id, body), 1, "sku", "no SKU column"
        )

    def test_duplicate_sku_in_the_file(self, client, channel_id):
        body = csv_text([["A"] + [""] * 9, ["B"] + [""] * 9, ["A"] + [""] * 9])
        self.assert_rejected(
            client, channel_id, put_csv(client, channel_id, body), 4, "sku", "first in row 2"
        )

    def test_invalid_upc_check_digit(self, client, channel_id):
        response = put_listings(client, channel_id, [make_listing(upc="036000291453")])
        self.assert_rejected(client, channel_id, response, 0, "upc", "invalid check digit")

    def test_invalid_ean_check_digit(self, client, channel_id):
        body = csv_text([["A", "x", "", "", "", "4006381333932", "1", "", "", ""]])
        self.assert_rejected(
            client, channel_id, put_csv(client, channel_id, body), 2, "ean", "invalid check digit"
        )

    def test_upc_that_lost_its_leading_zero(self, client, channel_id):
        response = put_listings(client, channel_id, [make_listing(upc="36000291452")])
        self.assert_rejected(client, channel_id, response, 0, "upc", "leading zero")

    def test_not_utf8(self, client, channel_id):
        body = csv_text([["A", "ok"] + [""] * 8, ["B", "Crème"] + [""] * 8]).encode("latin-1")
        self.assert_rejected(
            client, channel_id, put_csv(client, channel_id, body), 3, None, "not UTF-8"
        )

    def test_wrong_cell_count(self, client, channel_id):
        body = csv_text([["A", "x"]])
        self.assert_rejected(
            client, channel_id, put_csv(client, channel_id, body), 2, None, "row has 2 cells"
        )

    def test_unknown_json_field(self, client, channel_id):
        response = put_listings(client, channel_id, [make_listing(colour="red")])
        self.assert_rejected(client, channel_id, response, 0, "colour", "unknown field")

    def test_one_bad_row_among_many_stores_nothing(self, client, channel_id):
        good = [make_listing(sku=f"S{i:05d}", upc=None) for i in range(2500)]
        bad = good + [make_listing(sku="BAD", quantity=-1, upc=None)]
        self.assert_rejected(
            client, channel_id, put_listings(client, channel_id, bad), 2500, "quantity", "negative"
        )

    def test_failed_update_leaves_previous_values(self, client, channel_id):
        put_listings(client, channel_id, [make_listing(quantity=3)])
        response = put_listings(
            client, channel_id, [make_listing(quantity=7), make_listing(sku="X", price="abc")]
        )
        assert response.status_code == 422
        got = client.get(f"/api/v1/channels/{channel_id}/listings/SKU-1").json()
        assert got["quantity"] == 3

    def test_json_that_is_not_an_array(self, client, channel_id):
        response = client.put(f"/api/v1/channels/{channel_id}/listings", json={"sku": "A"})
        assert response.status_code == 422
        assert "JSON array" in response.text

    def test_unsupported_media_type_is_415(self, client, channel_id):
        response = client.put(
            f"/api/v1/channels/{channel_id}/listings",
            content=b"x",
            headers={"Content-Type": "application/xml"},
        )
        assert response.status_code == 415
        assert response.json()["error"] == "UnsupportedMediaTypeError"

    def test_oversized_body_is_413(self, client, channel_id, app):
        app.state.settings.MAX_IMPORT_BYTES = 100
        response = put_csv(client, channel_id, "sku\n" + "A" * 200)
        assert response.status_code == 413


class TestListingQueries:
    def test_cursor_paging_visits_every_listing_once(self, client, channel_id):
        put_listings(
            client, channel_id, [make_listing(sku=f"P{i:03d}", upc=None) for i in range(25)]
        )
        seen, cursor = [], None
        while True:
            params = {"limit": 10} | ({"cursor": cursor} if cursor else {})
            page = listings(client, channel_id, **params)
            seen += [item["sku"] for item in page["data"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [f"P{i:03d}" for i in range(25)]

    def test_filter_matches_sku_or_name_case_insensitively(self, client, channel_id):
        put_listings(
            client,
            channel_id,
            [
                make_listing(sku="MUG-1", name="Coffee mug", upc=None),
                make_listing(sku="CUP-1", name="Tea cup", upc=None),
                make_listing(sku="PLATE-1", name="Dinner plate", upc=None),
            ],
        )
        assert [x["sku"] for x in listings(client, channel_id, q="mug")["data"]] == ["MUG-1"]
        assert [x["sku"] for x in listings(client, channel_id, q="TEA")["data"]] == ["CUP-1"]

    def test_bad_cursor_is_422(self, client, channel_id):
        response = client.get(f"/api/v1/channels/{channel_id}/listings", params={"cursor": "%%%"})
        assert response.status_code == 422

    def test_get_and_delete_sku_with_slash(self, client, channel_id):
        put_listings(client, channel_id, [make_listing(sku="AB/12")])
        assert client.get(f"/api/v1/channels/{channel_id}/listings/AB/12").status_code == 200
        assert client.delete(f"/api/v1/channels/{channel_id}/listings/AB/12").status_code == 204
        assert client.get(f"/api/v1/channels/{channel_id}/listings/AB/12").status_code == 404

    def test_listings_of_unknown_channel_is_404(self, client):
        assert client.get("/api/v1/channels/12345/listings").status_code == 404

    def test_deleting_a_channel_deletes_its_listings(self, client, channel_id, engine):
        from sqlalchemy import func, select

        from feed.models import Listing

        put_listings(client, channel_id, [make_listing()])
        client.delete(f"/api/v1/channels/{channel_id}")
        with engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(Listing.__table__)).scalar()
        assert count == 0
