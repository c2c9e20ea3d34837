"""Run records: start (one active per channel and operation), progress, errors, finish.

A run whose heartbeat is older than ``LEASE_SECONDS`` belongs to a process that died; the
next start marks it abandoned instead of refusing with 409 forever.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from feed.crypto import SecretBox
from feed.db import utcnow
from feed.ecomdash.client import EcomdashClient, task_calls
from feed.ecomdash.errors import EcomdashError
from feed.errors import ConflictError
from feed.models import ACTIVE_RUN_STATES, Channel, Run, RunError

logger = logging.getLogger(__name__)

RUN = Run.__table__  # type: ignore[attr-defined]
RUN_ERROR = RunError.__table__  # type: ignore[attr-defined]
CHANNEL = Channel.__table__  # type: ignore[attr-defined]
LEASE_SECONDS = 300
HEARTBEAT_SECONDS = 2  # how often progress and the lease are written
MAX_RUN_ERRORS = 10_000


class RunConflictError(ConflictError):
    """This operation is already running for the channel; ``detail`` names the run."""


def start_run(
    engine: Engine,
    channel_id: int,
    operation: str,
    trigger: str,
    options: dict[str, Any],
    *,
    lease_seconds: float = LEASE_SECONDS,
) -> int:
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            update(RUN)
            .where(
                RUN.c.channel_id == channel_id,
                RUN.c.operation == operation,
                RUN.c.state.in_(ACTIVE_RUN_STATES),
                RUN.c.heartbeat_at < now - timedelta(seconds=lease_seconds),
            )
            .values(state="abandoned", finished_at=now, error="the process running it stopped")
        )
    try:
        with engine.begin() as conn:
            run_id: int = conn.execute(
                insert(RUN)
                .values(
                    channel_id=channel_id,
                    operation=operation,
                    trigger=trigger,
                    state="queued",
                    options=options,
                    counts={},
                    api_calls=0,
                    created_at=now,
                    heartbeat_at=now,
                )
                .returning(RUN.c.id)
            ).scalar_one()
    except IntegrityError:
        with engine.connect() as conn:
            active = conn.execute(
                select(RUN.c.id).where(
                    RUN.c.channel_id == channel_id,
                    RUN.c.operation == operation,
                    RUN.c.state.in_(ACTIVE_RUN_STATES),
                )
            ).scalar()
        raise RunConflictError(
            {"message": f"{operation} is already running for this channel", "run_id": active}
        ) from None
    logger.info(
        "feed.run.queued run=%s channel=%s operation=%s trigger=%s",
        run_id,
        channel_id,
        operation,
        trigger,
    )
    return run_id


@dataclass
class RunContext:
    """What an operation gets: the channel, its ecomdash client, and the run's ledger."""

    engine: Engine
    run_id: int
    channel: Any
    client: EcomdashClient
    options: dict[str, Any]
    data_dir: Path = Path("./feed-data")
    gzip_level: int = 6
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    on_progress: Callable[[int, int], None] | None = None
    done: int = 0
    total: int | None = None
    _last_beat: float = 0.0

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def error(self, sku: str | None, message: str) -> None:
        if len(self.errors) < MAX_RUN_ERRORS:
            self.errors.append({"run_id": self.run_id, "sku": sku, "message": message[:2000]})

    async def progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self.on_progress is not None:
            self.on_progress(done, total)
        now = anyio.current_time()
        if now - self._last_beat >= HEARTBEAT_SECONDS:
            self._last_beat = now
            await anyio.to_thread.run_sync(self._beat, done, total)

    def _beat(self, done: int, total: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(RUN)
                .where(RUN.c.id == self.run_id)
                .values(
                    heartbeat_at=utcnow(),
                    counts=self.counts,
                    progress_done=done,
                    progress_total=total,
                )
            )


Operation = Callable[[RunContext], Awaitable[None]]


def channel_client_options(engine: Engine, box: SecretBox, channel_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        channel = conn.execute(select(CHANNEL).where(CHANNEL.c.id == channel_id)).one()
    return {
        "base_url": channel.base_url,
        "ecd_subscription_key": box.decrypt(channel.ecd_subscription_key_enc),
        "apim_subscription_key": (
            box.decrypt(channel.apim_subscription_key_enc)
            if channel.apim_subscription_key_enc
            else None
        ),
        "application_id": channel.application_id,
    }


async def execute(
    engine: Engine,
    run_id: int,
    operation: Operation,
    client: EcomdashClient,
    *,
    data_dir: Path = Path("./feed-data"),
    gzip_level: int = 6,
    on_progress: Callable[[int, int], None] | None = None,
) -> str:
    """Runs the operation and records how it ended; returns the final state."""
    with engine.begin() as conn:
        run = conn.execute(select(RUN).where(RUN.c.id == run_id)).one()
        channel = conn.execute(select(CHANNEL).where(CHANNEL.c.id == run.channel_id)).one()
        conn.execute(
            update(RUN)
            .where(RUN.c.id == run_id)
            .values(state="running", started_at=utcnow(), heartbeat_at=utcnow())
        )
    ctx = RunContext(
        engine,
        run_id,
        channel,
        client,
        dict(run.options),
        data_dir,
        gzip_level,
        on_progress=on_progress,
    )
    # Counted per task, so runs that share the channel's client keep their own tally.
    calls = [0]
    task_calls.set(calls)
    error: str | None = None
    try:
        await operation(ctx)
        state = "partially_failed" if ctx.errors else "succeeded"
    except EcomdashError as exc:
        state, error = "failed", f"{type(exc).__name__}: {exc}"
    except asyncio.CancelledError:
        _finish(
            engine,
            run_id,
            ctx,
            calls[0],
            "failed",
            "interrupted: the service stopped; run it again",
        )
        raise
    except Exception as exc:
        logger.exception("feed.run.crashed run=%s", run_id)
        state, error = "failed", f"{type(exc).__name__}: {exc}"
    _finish(engine, run_id, ctx, calls[0], state, error)
    logger.info(
        "feed.run.finished run=%s operation=%s state=%s counts=%s api_calls=%s",
        run_id,
        run.operation,
        state,
        ctx.counts,
        calls[0],
    )
    return state


def _finish(
    engine: Engine, run_id: int, ctx: RunContext, calls: int, state: str, error: str | None
) -> None:
    with engine.begin() as conn:
        if ctx.errors:
            conn.execute(insert(RUN_ERROR), ctx.errors)
        conn.execute(
            update(RUN)
            .where(RUN.c.id == run_id)
            .values(
                state=state,
                error=error,
                counts=ctx.counts,
                finished_at=utcnow(),
                api_calls=calls,
                progress_done=ctx.done,
                progress_total=ctx.total,
            )
        )
