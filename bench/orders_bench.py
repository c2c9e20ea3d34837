"""get-orders at 10,000 orders of 3 lines each, against the in-process sandbox.

    python bench/orders_bench.py --orders 10000

The sandbox's order search does not embed line items (the reference leaves that open), so
each new order costs one line-items call on top of the search pages. A second run imports
nothing and only pages through the search (plus the few calls that count skipped orders).
"""

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from export_bench import KEY, OUT  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from feed.channels import create_channel  # noqa: E402
from feed.crypto import SecretBox  # noqa: E402
from feed.db import make_engine  # noqa: E402
from feed.ecomdash.client import EcomdashClient  # noqa: E402
from feed.ecomdash.retry import AccountLimiter  # noqa: E402
from feed.ecomdash.sandbox.app import SandboxTransport, create_sandbox_app  # noqa: E402
from feed.ecomdash.sandbox.faults import Faults  # noqa: E402
from feed.ecomdash.sandbox.seed import DEMO_ECD_KEY, DEMO_PORTAL_KEY  # noqa: E402
from feed.ecomdash.sandbox.state import SandboxState  # noqa: E402
from feed.migrate import upgrade  # noqa: E402
from feed.models import Run  # noqa: E402
from feed.operations.get_orders import get_orders  # noqa: E402
from feed.operations.runs import execute, start_run  # noqa: E402
from feed.orders_models import ShippingMapping  # noqa: E402
from feed.schemas import ChannelCreate  # noqa: E402


async def main_async(count: int) -> None:
    db = OUT / "orders.db"
    db.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    with Session(engine) as session:
        channel = create_channel(
            session,
            SecretBox(KEY),
            ChannelCreate(
                name="bench", ecd_subscription_key=DEMO_ECD_KEY, import_unknown_skus=True
            ),
        )
    with engine.begin() as conn:
        conn.execute(
            insert(ShippingMapping.__table__).values(
                channel_id=channel.id,
                method="Ground",
                method_key="ground",
                carrier="UPS",
                service="Ground",
            )
        )
    state = SandboxState(portal_keys={DEMO_PORTAL_KEY})
    account = state.add_account(DEMO_ECD_KEY)
    account.set_faults(Faults(calls_per_minute=10**9, concurrency_per_operation=100))
    now = datetime.now(UTC)
    for n in range(count):
        order_id = account.next_id()
        account.orders[order_id] = {
            "EcomdashId": order_id,
            "StorefrontOrderNumber": f"AM-{n}",
            "StorefrontType": "Amazon",
            "StorefrontId": 1,
            "Status": "InProcess",
            "TotalAmount": 30.0,
            "CreatedDate": (now - timedelta(hours=n % 100))
            .replace(tzinfo=None)
            .isoformat(timespec="seconds"),
            "ShippingMethod": "Ground",
            "ShipToContact": {"FullName": "Buyer"},
        }
        account.line_items[order_id] = [
            {
                "OrderLineItemId": account.next_id(),
                "SalesOrderId": order_id,
                "QuantitySold": 1,
                "UnitPrice": 10.0,
                "SkuNumber": f"SKU-{n % 50}-{k}",
            }
            for k in range(3)
        ]
    app = create_sandbox_app(state)
    client = EcomdashClient(
        base_url="http://sandbox/api",
        ecd_subscription_key=DEMO_ECD_KEY,
        apim_subscription_key=DEMO_PORTAL_KEY,
        limiter=AccountLimiter(calls_per_minute=1e9, burst=1e9, concurrency=3),
        transport=SandboxTransport(app=app),
    )
    async with client:
        for label in ("first run", "second run"):
            run_id = start_run(engine, channel.id, "get-orders", "cli", {})
            calls = client.calls
            started = time.perf_counter()
            await execute(engine, run_id, get_orders, client)
            seconds = time.perf_counter() - started
            with engine.connect() as conn:
                counts = conn.execute(
                    select(Run.__table__.c.counts).where(Run.__table__.c.id == run_id)
                ).scalar_one()
            print(f"get-orders {label}: {seconds:.1f}s, {client.calls - calls} calls, {counts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=10_000)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    asyncio.run(main_async(args.orders))


if __name__ == "__main__":
    main()
