"""Runs due operations: claims slots from the database and executes them in the background.

It runs inside ``feed serve`` (unless ``--no-scheduler``) and alone as ``feed worker``; any
number of them can share one database.
"""

import asyncio
import logging
from typing import Any

import anyio
from sqlalchemy.engine import Engine

from feed.crypto import SecretBox
from feed.ecomdash.registry import ClientRegistry
from feed.operations import OPERATIONS
from feed.operations.runs import RunConflictError, channel_client_options, execute, start_run
from feed.schedules import claim_due
from feed.settings import Settings

logger = logging.getLogger(__name__)

POLL_SECONDS = 5.0


async def tick(
    engine: Engine,
    registry: ClientRegistry,
    box: SecretBox,
    settings: Settings,
    tasks: set[asyncio.Task[Any]],
) -> int:
    """Claims what is due and starts it; returns how many runs were started."""
    started = 0
    for slot in await anyio.to_thread.run_sync(claim_due, engine):
        operation = OPERATIONS.get(slot.operation)
        if operation is None:
            continue
        try:
            run_id = start_run(
                engine,
                slot.channel_id,
                slot.operation,
                "schedule",
                {},
                lease_seconds=settings.RUN_LEASE_SECONDS,
            )
        except RunConflictError:
            logger.info(
                "feed.schedule.busy channel=%s operation=%s", slot.channel_id, slot.operation
            )
            continue
        options = channel_client_options(engine, box, slot.channel_id)
        client = await registry.client(slot.channel_id, **options)
        task = asyncio.create_task(
            execute(
                engine,
                run_id,
                operation,
                client,
                data_dir=settings.DATA_DIR,
                gzip_level=settings.FEED_GZIP_LEVEL,
            )
        )
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        started += 1
    return started


async def run_scheduler(
    engine: Engine,
    registry: ClientRegistry,
    box: SecretBox,
    settings: Settings,
    tasks: set[asyncio.Task[Any]],
    poll: float = POLL_SECONDS,
) -> None:
    while True:
        try:
            await tick(engine, registry, box, settings, tasks)
        except Exception:
            logger.exception("feed.scheduler.error")
        await asyncio.sleep(poll)
