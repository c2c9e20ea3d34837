"""link-listings and sync-listings at 100,000 listings, against the in-process sandbox.

    python bench/operations_bench.py --rows 100000

The sandbox company gets one product per listing: 70% with the same SKU, 20% with another SKU
but the listing's UPC, 5% matched only by EAN, 5% with nothing in common. Then:
  1. link-listings (limit lifted): wall time and ecomdash calls;
  2. sync-listings with 1% of the linked listings' quantities changed: calls must equal
     ceil(changed / 25); timed with the limit lifted and under the real 120 calls/minute
     (the sandbox enforcing it, our limiter pacing at 110/minute);
  3. sync-listings with nothing changed: zero calls.
"""

import argparse
import asyncio
import math
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from export_bench import OUT, setup  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from feed.catalog.offers import refresh_offers  # noqa: E402
from feed.db import make_engine  # noqa: E402
from feed.ecomdash.client import EcomdashClient  # noqa: E402
from feed.ecomdash.retry import AccountLimiter  # noqa: E402
from feed.ecomdash.sandbox.app import SandboxTransport, create_sandbox_app  # noqa: E402
from feed.ecomdash.sandbox.faults import Faults, Throttle  # noqa: E402
from feed.ecomdash.sandbox.seed import DEMO_ECD_KEY, DEMO_PORTAL_KEY  # noqa: E402
from feed.ecomdash.sandbox.state import SandboxState  # noqa: E402
from feed.models import Listing  # noqa: E402
from feed.operations.link_listings import link_listings  # noqa: E402
from feed.operations.runs import execute, start_run  # noqa: E402
from feed.operations.sync_listings import sync_listings  # noqa: E402

LISTING = Listing.__table__


def seed_sandbox(engine, rows: int) -> SandboxState:
    state = SandboxState(portal_keys={DEMO_PORTAL_KEY})
    account = state.add_account(DEMO_ECD_KEY)
    rng = random.Random(5)
    with engine.connect() as conn:
        listings = conn.execute(select(LISTING.c.sku, LISTING.c.upc, LISTING.c.ean)).all()
    for n, row in enumerate(listings):
        roll = rng.random()
        if roll < 0.70:
            body = {"Sku": row.sku, "Identifiers": {"UPC": row.upc} if row.upc else {}}
        elif roll < 0.90 and row.upc:
            body = {"Sku": f"ECD-U{n}", "Identifiers": {"UPC": row.upc}}
        elif roll < 0.95 and row.ean:
            body = {"Sku": f"ECD-E{n}", "Identifiers": {"EAN": row.ean}}
        else:
            body = {"Sku": f"OTHER-{n}"}
        account.create_product(body | {"Name": "bench", "QuantityOnHand": 1})
    return state


async def timed(engine, operation, client, name: str) -> tuple[float, dict, int]:
    run_id = start_run(engine, 1, name, "cli", {})
    started = time.perf_counter()
    calls = client.calls
    await execute(engine, run_id, operation, client, data_dir=OUT / "ops-data")
    seconds = time.perf_counter() - started
    with engine.connect() as conn:
        from feed.models import Run

        counts = conn.execute(
            select(Run.__table__.c.counts).where(Run.__table__.c.id == run_id)
        ).scalar_one()
    return seconds, counts, client.calls - calls


async def main_async(rows: int) -> None:
    db = OUT / f"ops-{rows}.db"
    setup(db, rows)
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(update(LISTING).values(offered=True))
        refresh_offers(conn, 1)
    t = time.perf_counter()
    state = seed_sandbox(engine, rows)
    print(f"sandbox: {rows:,} products seeded in {time.perf_counter() - t:.1f}s")
    app = create_sandbox_app(state)
    account = state.accounts[DEMO_ECD_KEY]

    def client(limiter: AccountLimiter) -> EcomdashClient:
        return EcomdashClient(
            base_url="http://sandbox/api",
            ecd_subscription_key=DEMO_ECD_KEY,
            apim_subscription_key=DEMO_PORTAL_KEY,
            limiter=limiter,
            transport=SandboxTransport(app=app),
        )

    lifted = AccountLimiter(calls_per_minute=1e9, burst=1e9, concurrency=3)
    account.set_faults(Faults(calls_per_minute=1_000_000))
    async with client(lifted) as c:
        seconds, counts, calls = await timed(engine, link_listings, c, "link-listings")
        print(f"link-listings: {seconds:.1f}s, {calls} calls, {counts}")
        # Everything in line, as after a first sync (not measured here), then 1% changes.
        with engine.begin() as conn:
            conn.execute(
                update(LISTING)
                .where(LISTING.c.ecomdash_product_id.is_not(None))
                .values(
                    synced_quantity=LISTING.c.offer_quantity,
                    synced_price=LISTING.c.offer_price,
                )
            )
        with engine.begin() as conn:
            linked = (
                conn.execute(
                    select(LISTING.c.sku)
                    .where(
                        LISTING.c.ecomdash_product_id.is_not(None),
                        LISTING.c.is_discontinued.is_(False),
                    )
                    .order_by(LISTING.c.id)
                )
                .scalars()
                .all()
            )
            changed = linked[::100][: math.ceil(rows / 100)]
            conn.execute(
                update(LISTING)
                .where(LISTING.c.sku.in_(changed))
                .values(quantity=LISTING.c.quantity + 1)
            )
            refresh_offers(conn, 1, changed)
        seconds, counts, calls = await timed(engine, sync_listings, c, "sync-listings")
        expected = math.ceil(len(changed) / 25)
        print(
            f"sync-listings, {len(changed)} changed, limit lifted: {seconds:.2f}s, "
            f"{calls} calls (ceil({len(changed)}/25) = {expected}), {counts}"
        )
        seconds, counts, calls = await timed(engine, sync_listings, c, "sync-listings")
        print(f"sync-listings, nothing changed: {seconds:.2f}s, {calls} calls")

    with engine.begin() as conn:
        conn.execute(
            update(LISTING)
            .where(LISTING.c.sku.in_(changed))
            .values(quantity=LISTING.c.quantity + 1)
        )
        refresh_offers(conn, 1, changed)
        total = conn.execute(select(func.count()).select_from(LISTING)).scalar()
    account.set_faults(Faults())  # the real gateway: 120 calls/minute, from a fresh minute
    account.throttle = Throttle()
    state.requests.clear()
    async with client(AccountLimiter()) as c:
        seconds, counts, calls = await timed(engine, sync_listings, c, "sync-listings")
    throttled = sum(r["status"] == 429 for r in state.requests)
    print(
        f"sync-listings, {len(changed)} changed, real 120/min limit: {seconds:.1f}s, "
        f"{calls} calls, {throttled} answered 429 ({total:,} listings)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    asyncio.run(main_async(args.rows))


if __name__ == "__main__":
    main()
