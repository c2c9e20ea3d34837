from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert, update

from feed.catalog.identifiers import gtin_check_digit, normalize_gtin
from feed.db import utcnow
from feed.demo import SAMPLE_DATA
from feed.ecomdash.sandbox.faults import Faults
from feed.models import Run
from tests.factories import make_channel, make_listing, put_csv, put_listings
from tests.operations.helpers import SANDBOX, trigger, wait_for


def run_op(client, channel_id, operation="link-listings", *, expect=202) -> dict:
    return trigger(client, channel_id, operation, expect=expect)


def link(client, channel_id) -> dict:
    return wait_for(client, run_op(client, channel_id)["id"])


def listing(client, channel_id, sku) -> dict:
    return client.get(f"/api/v1/channels/{channel_id}/listings/{sku}").json()


class TestDemoCatalog:
    def test_links_by_sku_then_upc_then_ean_in_a_handful_of_calls(self, client, sandbox_state):
        channel = make_channel(client, **SANDBOX)
        put_csv(client, channel["id"], (SAMPLE_DATA / "catalog.csv").read_bytes())

        run = link(client, channel["id"])

        assert run["state"] == "succeeded", run
        assert run["counts"] == {"linked": 110, "unmatched": 190}
        assert (run["progress_done"], run["progress_total"]) == (300, 300)
        calls = [r for r in sandbox_state.requests if r["path"].startswith("/api/")]
        # 300 listings would take 3 SKU lookups and more for UPCs; the 130 products fit on one
        # page, so one count and one page answer everything.
        assert run["api_calls"] == len(calls) == 2
        page = client.get(f"/api/v1/channels/{channel['id']}/listings", params={"limit": 1000})
        methods = [x["link_method"] for x in page.json()["data"] if x["link_state"] == "linked"]
        assert (methods.count("sku"), methods.count("upc"), methods.count("ean")) == (60, 30, 20)

    def test_sku_match_ignores_case_and_spaces(self, client, account):
        assert account.active_by_sku("APP-000001")["Sku"] == "app-000001"
        channel = make_channel(client, **SANDBOX)
        put_listings(client, channel["id"], [make_listing(sku="APP-000001", upc=None)])
        link(client, channel["id"])
        got = listing(client, channel["id"], "APP-000001")
        assert got["link_state"] == "linked"
        assert got["ecomdash_product_id"] == account.active_by_sku("app-000001")["Id"]

    def test_a_second_run_keeps_links_and_writes_nothing(self, client):
        channel = make_channel(client, **SANDBOX)
        put_csv(client, channel["id"], (SAMPLE_DATA / "catalog.csv").read_bytes())
        link(client, channel["id"])
        again = link(client, channel["id"])
        assert again["counts"] == {"already_linked": 110, "unmatched": 190}


class TestMatchingRules:
    def test_gtin14_listing_matches_a_upc_product(self, client, account):
        account.create_product(
            {"Sku": "THEIRS-1", "Name": "x", "Identifiers": {"UPC": "036000291452"}}
        )
        channel = make_channel(client, **SANDBOX)
        put_listings(
            client, channel["id"], [make_listing(sku="OURS-1", upc=None, gtin="00036000291452")]
        )
        link(client, channel["id"])
        got = listing(client, channel["id"], "OURS-1")
        assert (got["link_state"], got["link_method"]) == ("linked", "upc")

    def test_ean_only_product_is_found_by_paging_the_inventory(
        self, client, account, sandbox_state
    ):
        account.create_product(
            {"Sku": "THEIRS-2", "Name": "x", "Identifiers": {"EAN": "4006381333931"}}
        )
        channel = make_channel(client, **SANDBOX)
        put_listings(
            client, channel["id"], [make_listing(sku="OURS-2", upc=None, ean="4006381333931")]
        )
        link(client, channel["id"])
        assert listing(client, channel["id"], "OURS-2")["link_method"] == "ean"
        assert any(r["path"] == "/api/Inventory" for r in sandbox_state.requests)

    def test_bulk_lookups_when_they_cost_fewer_calls_than_paging(
        self, client, account, sandbox_state
    ):
        for n in range(600):
            account.create_product({"Sku": f"FILLER-{n}", "Name": "filler"})
        channel = make_channel(client, **SANDBOX)
        put_listings(
            client,
            channel["id"],
            [make_listing(sku="APP-000002", upc=None), make_listing(sku="OURS-9")],
        )

        run = link(client, channel["id"])

        assert run["counts"] == {"linked": 1, "unmatched": 1}
        paths = [(r["method"], r["path"], r["query"]) for r in sandbox_state.requests]
        assert paths == [
            ("GET", "/api/Inventory", "pageNumber=1&resultsPerPage=1"),  # how many products
            ("POST", "/api/inventory/getProducts", ""),  # SKUs
            ("POST", "/api/inventory/getProducts", ""),  # UPCs of what is left
        ]

    def test_after_lookups_only_ean_leftovers_cause_a_pass_over_the_inventory(
        self, client, account, sandbox_state
    ):
        for n in range(600):
            account.create_product({"Sku": f"FILLER-{n}", "Name": "filler"})
        account.create_product(
            {"Sku": "THEIRS-8", "Name": "x", "Identifiers": {"EAN": "4006381333931"}}
        )
        channel = make_channel(client, **SANDBOX)
        put_listings(
            client, channel["id"], [make_listing(sku="OURS-8", upc=None, ean="4006381333931")]
        )

        run = link(client, channel["id"])

        assert run["counts"] == {"linked": 1}
        assert listing(client, channel["id"], "OURS-8")["link_method"] == "ean"
        pages = [r for r in sandbox_state.requests if r["path"] == "/api/Inventory"]
        assert len(pages) == 1 + 4  # the count, then 731 products at 200 a page

    def test_a_listing_matching_two_products_is_a_conflict(self, client, account):
        account.create_product(
            {"Sku": "DUP-1", "Name": "a", "Identifiers": {"UPC": "036000291452"}}
        )
        account.create_product(
            {"Sku": "DUP-2", "Name": "b", "Identifiers": {"UPC": "036000291452"}}
        )
        channel = make_channel(client, **SANDBOX)
        put_listings(client, channel["id"], [make_listing(sku="OURS-3")])

        run = link(client, channel["id"])

        assert run["state"] == "partially_failed"
        assert run["counts"] == {"conflicts": 1}
        assert run["errors"][0]["sku"] == "OURS-3"
        got = listing(client, channel["id"], "OURS-3")
        assert got["link_state"] == "conflict"
        assert got["ecomdash_product_id"] is None
        assert "matches 2 ecomdash products" in got["link_message"]

    def test_two_listings_claiming_one_product_are_both_conflicts(self, client, account):
        account.create_product(
            {"Sku": "THEIRS-4", "Name": "x", "Identifiers": {"UPC": "036000291452"}}
        )
        channel = make_channel(client, **SANDBOX)
        put_listings(client, channel["id"], [make_listing(sku="A-4"), make_listing(sku="B-4")])
        run = link(client, channel["id"])
        assert run["counts"] == {"conflicts": 2}
        assert "also claimed by 'B-4'" in listing(client, channel["id"], "A-4")["link_message"]

    def test_a_new_claimant_of_a_linked_product_is_the_conflict(self, client, account):
        account.create_product(
            {"Sku": "THEIRS-5", "Name": "x", "Identifiers": {"UPC": "036000291452"}}
        )
        channel = make_channel(client, **SANDBOX)
        put_listings(client, channel["id"], [make_listing(sku="A-5")])
        link(client, channel["id"])
        put_listings(client, channel["id"], [make_listing(sku="B-5")])
        run = link(client, channel["id"])
        assert run["counts"] == {"already_linked": 1, "conflicts": 1}
        assert listing(client, channel["id"], "A-5")["link_state"] == "linked"
        assert listing(client, channel["id"], "B-5")["link_state"] == "conflict"

    def test_a_link_whose_product_disappeared_is_redone(self, client, account):
        channel = make_channel(client, **SANDBOX)
        put_listings(client, channel["id"], [make_listing(sku="APP-000002", upc=None)])
        link(client, channel["id"])
        account.active_by_sku("APP-000002")["IsActive"] = False

        run = link(client, channel["id"])

        assert run["counts"] == {"link_lost": 1, "unmatched": 1}
        got = listing(client, channel["id"], "APP-000002")
        assert (got["link_state"], got["ecomdash_product_id"]) == ("unmatched", None)


class TestRuns:
    def test_a_second_trigger_while_running_is_409_naming_the_run(self, client, account):
        account.set_faults(Faults(latency=0.3))
        channel = make_channel(client, **SANDBOX)
        put_listings(client, channel["id"], [make_listing()])
        first = run_op(client, channel["id"])
        second = run_op(client, channel["id"], expect=409).get("detail")
        assert second["run_id"] == first["id"]
        assert wait_for(client, first["id"])["state"] == "succeeded"
        assert run_op(client, channel["id"])["id"] != first["id"]

    def test_a_run_left_by_a_dead_process_is_abandoned_by_the_next_start(self, client, engine):
        channel = make_channel(client, **SANDBOX)
        stale = utcnow().replace(year=2020)
        with engine.begin() as conn:
            dead = conn.execute(
                insert(Run.__table__)
                .values(
                    channel_id=channel["id"],
                    operation="link-listings",
                    trigger="api",
                    state="running",
                    options={},
                    counts={},
                    api_calls=0,
                    created_at=stale,
                    heartbeat_at=stale,
                )
                .returning(Run.__table__.c.id)
            ).scalar_one()
        run = link(client, channel["id"])
        assert run["state"] == "succeeded"
        assert client.get(f"/api/v1/runs/{dead}").json()["state"] == "abandoned"

    def test_a_failing_connection_fails_the_run_with_the_reason(self, client):
        channel = make_channel(client, **SANDBOX | {"ecd_subscription_key": "wrong"})
        put_listings(client, channel["id"], [make_listing()])
        run = link(client, channel["id"])
        assert run["state"] == "failed"
        assert run["error"].startswith("AuthenticationError")

    def test_unknown_operation_is_404_and_runs_are_listed(self, client, engine):
        channel = make_channel(client, **SANDBOX)
        assert run_op(client, channel["id"], "fly", expect=404)["error"] == "NotFoundError"
        link(client, channel["id"])
        runs = client.get(f"/api/v1/channels/{channel['id']}/runs").json()["data"]
        assert [r["operation"] for r in runs] == ["link-listings"]
        with engine.begin() as conn:
            conn.execute(update(Run.__table__).values(state="succeeded"))


digits = st.text(alphabet="0123456789", min_size=11, max_size=11)


@given(digits)
def test_upc_ean13_and_gtin14_forms_of_one_item_normalise_equal(body):
    upc = body + str(gtin_check_digit(body))
    assert normalize_gtin(upc) == normalize_gtin("0" + upc) == normalize_gtin("00" + upc)
    assert normalize_gtin(upc) is not None


@given(digits, st.integers(min_value=1, max_value=9))
def test_a_wrong_check_digit_never_normalises(body, offset):
    wrong = (gtin_check_digit(body) + offset) % 10
    assert normalize_gtin(body + str(wrong)) is None


def test_runs_sharing_a_client_count_only_their_own_calls(client, account):
    from feed.ecomdash.sandbox.faults import Faults

    account.set_faults(Faults(latency=0.05, calls_per_minute=1_000_000))
    channel = make_channel(client, **SANDBOX)
    put_listings(client, channel["id"], [make_listing(sku="APP-000002", upc=None)])
    link_run = trigger(client, channel["id"], "link-listings")
    orders_run = trigger(client, channel["id"], "get-orders")
    link_done, orders_done = wait_for(client, link_run["id"]), wait_for(client, orders_run["id"])
    # link: count + one page; get-orders: 1 search + 2 skipped-status counts + 1 too-old count
    assert link_done["api_calls"] == 2
    assert orders_done["api_calls"] >= 4
