"""Generated bulk imports: imported exactly, or rejected naming row and column, never half-stored.

Files mix valid rows with the things merchants' files really contain: wrong encodings, BOMs,
huge fields, formula-like cells, control characters, duplicate and blank SKUs, bad numbers.
"""

import codecs
import contextlib
import csv
import io
import json
from collections.abc import Iterator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_channel, put_listings
from tests.reliability.conftest import SOAK

EXAMPLES = 300 if SOAK else 40
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=not SOAK,
)

cell_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["=1+1", "+SUM(A1)", "-x", "@cmd", '"quoted, comma"', "line\nbreak", "é日本"]),
    st.text(min_size=1, max_size=3).map(lambda s: s * 2000),  # huge fields
)
skus = st.one_of(st.sampled_from(["KEEP", "A-1", "A-2", "", " ", "A-1 "]), st.text(max_size=12))
quantities = st.one_of(
    st.integers(-5, 10**6).map(str),
    st.sampled_from(["", "1.5", "ten", "1e3", "NaN", "007"]),
)


@st.composite
def csv_files(draw) -> bytes:
    rows = draw(st.lists(st.tuples(skus, cell_text, quantities), max_size=8))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["SKU", "Name", "Quantity"])
    writer.writerows(rows)
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


def snapshot(client, channel_id: int) -> list[dict]:
    page = client.get(f"/api/v1/channels/{channel_id}/listings", params={"limit": 1000})
    return sorted(page.json()["data"], key=lambda x: x["sku"])


def expected_rows(body: bytes) -> list[dict] | None:
    """What a successful import of this file must have stored, by SKU (last row wins)."""
    try:
        text = codecs.decode(body, "utf-8-sig")
    except UnicodeDecodeError:
        return None
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    return [{"sku": r["SKU"].strip(), "name": r["Name"].strip() or None} for r in rows]


def check_outcome(client, channel_id: int, before: list[dict], response) -> str:
    assert response.status_code in (200, 413, 415, 422), response.text
    after = snapshot(client, channel_id)
    if response.status_code != 200:
        body = response.json()
        assert set(body) == {"error", "detail"}
        if response.status_code == 422 and isinstance(body["detail"], list):
            for problem in body["detail"]:
                assert {"row", "column", "message"} <= set(problem), problem
        assert after == before  # nothing stored, nothing changed
        return "rejected"
    return "imported"


@contextlib.contextmanager
def imported(client, body: bytes, media_type: str) -> Iterator[tuple[str, list[dict]]]:
    """Imports ``body`` into a fresh channel holding one listing; yields the outcome and the
    channel's listings afterwards, and checks a rejection left them as they were."""
    channel = make_channel(client, name="fuzz")
    put_listings(client, channel["id"], [{"sku": "KEEP", "name": "original", "quantity": 1}])
    before = snapshot(client, channel["id"])
    try:
        response = client.put(
            f"/api/v1/channels/{channel['id']}/listings",
            content=body,
            headers={"Content-Type": media_type},
        )
        outcome = check_outcome(client, channel["id"], before, response)
        yield outcome, snapshot(client, channel["id"])
    finally:
        client.delete(f"/api/v1/channels/{channel['id']}")


@given(body=st.one_of(csv_files(), st.binary(max_size=300)))
@FUZZ
def test_csv_imports_are_exact_or_rejected_whole(client, body):
    with imported(client, body, "text/csv") as (outcome, listings):
        rows = expected_rows(body)
        header = body.startswith((b"SKU", b"\xef\xbb\xbfSKU"))
        if outcome == "imported" and rows is not None and header:
            stored = {x["sku"]: x for x in listings}
            for row in rows:
                assert stored[row["sku"]]["name"] == row["name"]
            assert len(stored) == len({r["sku"] for r in rows} | {"KEEP"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["sku", "name", "quantity", "price", "upc", "images", "x"]),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@given(items=st.lists(json_values, max_size=6))
@FUZZ
def test_json_imports_are_exact_or_rejected_whole(client, items):
    body = json.dumps(items, allow_nan=True).encode()
    with imported(client, body, "application/json") as (outcome, listings):
        if outcome == "imported":
            wanted = {str(i["sku"]).strip() for i in items}
            assert {x["sku"] for x in listings} == wanted | {"KEEP"}
