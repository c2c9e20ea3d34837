import csv
import gzip
import io
from email.utils import format_datetime

import orjson
import pytest

from tests.factories import build_feed, feed_path, make_channel, make_listing, put_listings

TRICKY = make_listing(
    sku="TRICKY-1",
    name='Mug, "Large" 12oz',
    description="Line one,\nline two — naïve café ☕ 日本",
    short_description="plain",
    brand="Zürich & Co",
    price="1234.5",
    cost="0.1",
    weight=2.0,
    images=["https://img.example.com/a.jpg", "https://img.example.com/b.png?x=1"],
    supplier_name="Supplier, Inc.",
    supplier_sku="S'1",
)

EXPECTED_HEADER = (
    "SKU,Name,Quantity On Hand,Price,Cost,UPC,EAN,Short Description,Long Description,Brand,"
    "Weight,Image URL 1,Image URL 2,Image URL 3,Image URL 4,Image URL 5,Supplier,Supplier SKU"
)


@pytest.fixture
def channel(client):
    return make_channel(client)


@pytest.fixture
def export(client, channel):
    put_listings(client, channel["id"], [TRICKY, make_listing(sku="PLAIN-2", upc=None, images=[])])
    return build_feed(client, channel["id"])


class TestCsvFeed:
    def test_bytes_are_rfc4180_utf8(self, anonymous, export):
        response = anonymous.get(feed_path(export))

        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        expected = (
            EXPECTED_HEADER + "\r\n"
            "PLAIN-2,Widget,5,19.99,7.50,,,,,,,,,,,,,\r\n"
            'TRICKY-1,"Mug, ""Large"" 12oz",5,1234.50,0.10,036000291452,,plain,'
            '"Line one,\nline two — naïve café ☕ 日本",Zürich & Co,2,'
            "https://img.example.com/a.jpg,https://img.example.com/b.png?x=1,,,,"
            '"Supplier, Inc.",S\'1\r\n'
        )
        assert response.content == expected.encode("utf-8")

    def test_parses_back_to_the_same_values(self, anonymous, export):
        rows = list(csv.DictReader(io.StringIO(anonymous.get(feed_path(export)).text)))
        tricky = rows[1]
        assert tricky["Name"] == TRICKY["name"]
        assert tricky["Long Description"] == TRICKY["description"]

    def test_headers_describe_the_snapshot(self, anonymous, export):
        response = anonymous.get(feed_path(export))
        csv_status = export["formats"]["csv"]
        assert response.headers["etag"] == f'"{csv_status["etag"]}"'
        assert response.headers["content-length"] == str(csv_status["size"])
        assert response.headers["accept-ranges"] == "bytes"
        assert response.headers["last-modified"]
        assert response.headers["x-feed-rows"] == "2"
        assert csv_status["rows"] == 2

    def test_bom_is_optional_per_channel(self, client, anonymous, channel, export):
        client.patch(f"/api/v1/channels/{channel['id']}", json={"export_bom": True})
        export = build_feed(client, channel["id"])
        assert anonymous.get(feed_path(export)).content.startswith(b"\xef\xbb\xbfSKU,")

    def test_custom_template_with_constant_and_format(self, client, anonymous, channel, export):
        template = [
            {"header": "SKU", "source": "sku"},
            {"header": "Title", "source": "{brand} - {name}"},
            {"header": "Condition", "source": "'New'"},
            {"header": "Second image", "source": "image_2"},
            {"header": "Color", "source": "attributes.Color"},
        ]
        client.patch(f"/api/v1/channels/{channel['id']}", json={"export_template": template})
        put_listings(client, channel["id"], [{"sku": "PLAIN-2", "attributes": {"Color": "Red"}}])
        export = build_feed(client, channel["id"])

        text = anonymous.get(feed_path(export)).text
        assert text.splitlines()[0] == "SKU,Title,Condition,Second image,Color"
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[1] == ["PLAIN-2", " - Widget", "New", "", "Red"]
        assert rows[2][1] == f"Zürich & Co - {TRICKY['name']}"
        assert rows[2][3] == "https://img.example.com/b.png?x=1"


class TestJsonFeed:
    def test_items_follow_the_create_product_body(self, anonymous, export):
        response = anonymous.get(feed_path(export, "json"))
        assert response.headers["content-type"] == "application/json"
        items = orjson.loads(response.content)
        tricky = next(i for i in items if i["Sku"] == "TRICKY-1")
        assert tricky["Name"] == TRICKY["name"]
        assert tricky["Type"] == "Product"
        assert tricky["QuantityOnHand"] == 5
        assert tricky["Identifiers"] == {"UPC": "036000291452"}
        assert tricky["GlobalListingAttributes"]["Price"] == 1234.5
        assert tricky["GlobalListingAttributes"]["LongDescription"] == TRICKY["description"]
        assert tricky["SupplierInformation"] == {"SKU": "S'1", "Price": 0.1}
        assert tricky["Images"] == [
            {"Url": "https://img.example.com/a.jpg", "DisplayOrder": 1, "MIMEType": "image/jpeg"},
            {
                "Url": "https://img.example.com/b.png?x=1",
                "DisplayOrder": 2,
                "MIMEType": "image/png",
            },
        ]

    def test_empty_channel_serves_an_empty_array(self, client, anonymous):
        export = client.get(f"/api/v1/channels/{make_channel(client, name='e')['id']}/export")
        assert anonymous.get(feed_path(export.json(), "json")).content == b"]\n"[:0] + b"[]\n"


class TestConditionalAndEncoding:
    def test_if_none_match_is_304_without_body(self, anonymous, export):
        first = anonymous.get(feed_path(export))
        again = anonymous.get(feed_path(export), headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == first.headers["etag"]

    def test_if_none_match_list_and_weak_form(self, anonymous, export):
        etag = anonymous.get(feed_path(export)).headers["etag"]
        response = anonymous.get(feed_path(export), headers={"If-None-Match": f'"other", W/{etag}'})
        assert response.status_code == 304

    def test_stale_etag_gets_the_feed(self, anonymous, export):
        response = anonymous.get(feed_path(export), headers={"If-None-Match": '"stale"'})
        assert response.status_code == 200

    def test_if_modified_since(self, anonymous, export):
        last_modified = anonymous.get(feed_path(export)).headers["last-modified"]
        same = anonymous.get(feed_path(export), headers={"If-Modified-Since": last_modified})
        assert same.status_code == 304
        older = anonymous.get(
            feed_path(export), headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}
        )
        assert older.status_code == 200

    def test_gzip_when_accepted(self, anonymous, export):
        plain = anonymous.get(feed_path(export), headers={"Accept-Encoding": "identity"})
        response = anonymous.get(
            feed_path(export),
            headers={"Accept-Encoding": "gzip"},
        )
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["etag"] != plain.headers["etag"]
        # httpx decodes transparently; the decoded body is the plain feed.
        assert response.content == plain.content
        assert int(response.headers["content-length"]) == export["formats"]["csv"]["gzip_size"]

    def test_gzip_refused_with_q_zero(self, anonymous, export):
        response = anonymous.get(feed_path(export), headers={"Accept-Encoding": "gzip;q=0"})
        assert "content-encoding" not in response.headers

    def test_head_has_headers_and_no_body(self, anonymous, export):
        response = anonymous.head(feed_path(export), headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200
        assert response.content == b""
        assert response.headers["content-length"] == str(export["formats"]["csv"]["size"])

    def test_range_resumes_a_download(self, anonymous, export):
        full = anonymous.get(feed_path(export), headers={"Accept-Encoding": "identity"}).content
        part = anonymous.get(
            feed_path(export), headers={"Range": "bytes=10-", "Accept-Encoding": "identity"}
        )
        assert part.status_code == 206
        assert part.content == full[10:]


class TestTokens:
    def test_unknown_and_malformed_tokens_get_the_same_404(self, anonymous, export):
        unknown = anonymous.get("/feeds/" + "A" * 32 + ".csv")
        malformed = anonymous.get("/feeds/short.csv")
        assert unknown.status_code == malformed.status_code == 404
        assert unknown.json() == malformed.json()

    def test_wrong_extension_is_404(self, anonymous, export):
        assert anonymous.get(feed_path(export).replace(".csv", ".xml")).status_code == 404

    def test_rotation_invalidates_the_old_link(self, client, anonymous, channel, export):
        rotated = client.post(f"/api/v1/channels/{channel['id']}/export/rotate").json()
        assert rotated["csv_url"] != export["csv_url"]
        assert anonymous.get(feed_path(export)).status_code == 404
        assert anonymous.get(feed_path(rotated)).status_code == 200

    def test_rotation_with_grace_keeps_the_old_link_for_a_while(
        self, client, anonymous, channel, export
    ):
        rotated = client.post(
            f"/api/v1/channels/{channel['id']}/export/rotate", json={"grace_seconds": 3600}
        ).json()
        assert rotated["previous_token_valid_until"] is not None
        assert anonymous.get(feed_path(export)).status_code == 200
        assert anonymous.get(feed_path(rotated)).status_code == 200

    def test_deleted_channel_link_is_404(self, client, anonymous, channel, export):
        client.delete(f"/api/v1/channels/{channel['id']}")
        assert anonymous.get(feed_path(export)).status_code == 404

    def test_feed_does_not_need_the_admin_token(self, anonymous, export):
        assert anonymous.get(feed_path(export)).status_code == 200


class TestExportStatus:
    def test_fetch_log_records_who_pulled_the_link(self, client, anonymous, channel, export):
        anonymous.get(feed_path(export), headers={"User-Agent": "ecomdash-import/1.0"})
        etag = anonymous.get(feed_path(export)).headers["etag"]
        anonymous.get(feed_path(export), headers={"If-None-Match": etag})

        fetches = client.get(f"/api/v1/channels/{channel['id']}/export").json()["recent_fetches"]
        assert [f["status"] for f in fetches] == [304, 200, 200]
        assert fetches[2]["user_agent"] == "ecomdash-import/1.0"
        assert fetches[2]["bytes"] == export["formats"]["csv"]["size"]

    def test_status_shows_pending_changes_until_rebuilt(self, client, channel, export):
        put_listings(client, channel["id"], [make_listing(sku="NEW")])
        status = client.get(f"/api/v1/channels/{channel['id']}/export").json()
        assert status["pending_changes"] is True
        assert status["formats"]["csv"]["rows"] == 2
        rebuilt = build_feed(client, channel["id"])
        assert rebuilt["pending_changes"] is False
        assert rebuilt["formats"]["csv"]["rows"] == 3

    def test_unchanged_rebuild_keeps_etag_and_last_modified(self, client, channel, export):
        again = build_feed(client, channel["id"])
        assert again["formats"]["csv"]["etag"] == export["formats"]["csv"]["etag"]
        assert again["formats"]["csv"]["built_at"] == export["formats"]["csv"]["built_at"]


def test_last_modified_is_http_date(anonymous, export):
    from datetime import datetime

    built = datetime.fromisoformat(export["formats"]["csv"]["built_at"])
    expected = format_datetime(built.replace(microsecond=0), usegmt=True)
    assert anonymous.get(feed_path(export)).headers["last-modified"] == expected


def test_gzip_file_is_a_valid_gzip_of_the_feed(settings, client, anonymous, channel, export):
    from feed.export.snapshot import channel_dir

    directory = channel_dir(settings.DATA_DIR, channel["id"])
    etag = export["formats"]["csv"]["etag"]
    plain = (directory / f"{etag}.csv").read_bytes()
    assert gzip.decompress((directory / f"{etag}.csv.gz").read_bytes()) == plain


def test_changes_from_another_replica_show_within_the_lookup_ttl(
    settings, engine, client, anonymous, channel, export, app
):
    import time

    from sqlalchemy import update

    from feed.models import Channel

    app.state.feed_cache._ttl = 0.3
    assert anonymous.get(feed_path(export)).status_code == 200
    with engine.begin() as conn:  # another replica rotates the token
        conn.execute(
            update(Channel.__table__)
            .where(Channel.__table__.c.id == channel["id"])
            .values(feed_token_hash="0" * 64)
        )
    assert anonymous.get(feed_path(export)).status_code == 200  # cached for a moment
    time.sleep(0.35)
    assert anonymous.get(feed_path(export)).status_code == 404
