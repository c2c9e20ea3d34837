import asyncio
import multiprocessing
import os
import time
from datetime import timedelta

from sqlalchemy import select, update

from feed.crypto import SecretBox
from feed.db import make_engine, utcnow
from feed.scheduler import tick
from feed.schedules import Schedule, claim_due
from tests.conftest import SECRET_KEY
from tests.factories import make_channel, make_listing, put_listings
from tests.operations.helpers import SANDBOX

SCHEDULE = Schedule.__table__


def test_schedules_list_every_operation_disabled_until_turned_on(client):
    channel = make_channel(client)
    data = client.get(f"/api/v1/channels/{channel['id']}/schedules").json()["data"]
    assert {s["operation"]: (s["enabled"], s["interval_seconds"]) for s in data}[
        "sync-listings"
    ] == (False, 900)

    saved = client.put(
        f"/api/v1/channels/{channel['id']}/schedules",
        json=[{"operation": "get-orders", "enabled": True, "interval_seconds": 600}],
    ).json()["data"]
    get_orders = next(s for s in saved if s["operation"] == "get-orders")
    assert get_orders["enabled"] is True
    assert get_orders["next_due_at"] is not None


def test_an_interval_under_a_minute_or_an_unknown_operation_is_422(client):
    channel = make_channel(client)
    short = client.put(
        f"/api/v1/channels/{channel['id']}/schedules",
        json=[{"operation": "get-orders", "enabled": True, "interval_seconds": 59}],
    )
    assert short.status_code == 422
    assert short.json()["detail"][0]["loc"] == ["body", 0, "interval_seconds"]
    unknown = client.put(
        f"/api/v1/channels/{channel['id']}/schedules",
        json=[{"operation": "fly", "interval_seconds": 600}],
    )
    assert unknown.status_code == 422


def test_a_due_schedule_starts_a_run_and_moves_forward(client, app, engine, settings):
    channel = make_channel(client, **SANDBOX)
    put_listings(client, channel["id"], [make_listing()])
    client.put(
        f"/api/v1/channels/{channel['id']}/schedules",
        json=[{"operation": "link-listings", "enabled": True, "interval_seconds": 3600}],
    )

    async def one_tick() -> int:
        tasks: set = set()
        started = await tick(engine, app.state.ecomdash, SecretBox(SECRET_KEY), settings, tasks)
        await asyncio.gather(*tasks)
        return started

    assert client.portal.call(one_tick) == 1
    assert client.portal.call(one_tick) == 0  # not due again for an hour
    [run] = client.get(f"/api/v1/channels/{channel['id']}/runs").json()["data"]
    assert (run["trigger"], run["state"]) == ("schedule", "succeeded")
    with engine.connect() as conn:
        due = conn.execute(select(SCHEDULE.c.next_due_at)).scalar_one()
    assert due > utcnow() + timedelta(minutes=59)


def _claimer(url: str, ticks: int, out) -> None:
    engine = make_engine(url)
    won = []
    for _ in range(ticks):
        won += [(r.channel_id, r.operation, r.next_due_at.isoformat()) for r in claim_due(engine)]
        time.sleep(0.005)
    out.put(won)
    engine.dispose()


def test_two_scheduler_processes_claim_each_due_slot_exactly_once(client, engine):
    channels = [make_channel(client, name=f"c{i}")["id"] for i in range(4)]
    for channel_id in channels:
        client.put(
            f"/api/v1/channels/{channel_id}/schedules",
            json=[
                {"operation": op, "enabled": True, "interval_seconds": 60}
                for op in ("sync-listings", "get-orders", "sync-orders")
            ],
        )
    rounds = 5
    url = engine.url.render_as_string(hide_password=False)
    total = []
    for _ in range(rounds):
        with engine.begin() as conn:  # every slot becomes due again
            conn.execute(update(SCHEDULE).values(next_due_at=utcnow() - timedelta(seconds=1)))
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        workers = [context.Process(target=_claimer, args=(url, 20, out)) for _ in range(2)]
        for w in workers:
            w.start()
        results = [out.get(timeout=60) for _ in workers]
        for w in workers:
            w.join(timeout=60)
        claimed = results[0] + results[1]
        assert sorted(claimed) == sorted(set(claimed))  # no slot twice
        assert len(claimed) == len(channels) * 3  # and none skipped
        total += claimed
    assert len(total) == rounds * len(channels) * 3
    assert os.getpid()


def test_healthz_and_readyz(anonymous):
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    assert anonymous.get("/readyz").json() == {"status": "ok"}


def test_readyz_is_503_while_migrations_are_pending(tmp_path, settings):
    from fastapi.testclient import TestClient

    from feed.app import create_app
    from feed.migrate import upgrade

    old = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(old, "0001")
    with TestClient(create_app(settings, old)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["detail"] == "migrations pending"
    old.dispose()
