"""Schedules: when each operation runs for a channel, and claiming due runs across replicas.

A claim is one conditional UPDATE that moves ``next_due_at`` forward only if it is still due,
so of N schedulers polling one database exactly one wins each due slot.
"""

from datetime import datetime, timedelta
from typing import Any

from pydantic import field_validator
from sqlalchemy import Column, ForeignKey, Integer, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Field, SQLModel

from feed.db import UTCDateTime, utcnow

MIN_INTERVAL_SECONDS = 60
# Suggested intervals; schedules start disabled until the merchant turns them on.
DEFAULT_INTERVALS = {
    "sync-listings": 15 * 60,
    "get-orders": 10 * 60,
    "sync-orders": 30 * 60,
    "link-listings": 24 * 3600,
    "publish-listings": 24 * 3600,
}


class Schedule(SQLModel, table=True):
    channel_id: int = Field(
        sa_column=Column(Integer, ForeignKey("channel.id", ondelete="CASCADE"), primary_key=True)
    )
    operation: str = Field(primary_key=True, max_length=32)
    enabled: bool = False
    interval_seconds: int
    next_due_at: datetime = Field(sa_type=UTCDateTime)


class ScheduleIn(SQLModel):
    operation: str
    enabled: bool = False
    interval_seconds: int = Field(ge=MIN_INTERVAL_SECONDS, le=7 * 24 * 3600)

    @field_validator("operation")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in DEFAULT_INTERVALS:
            raise ValueError(f"unknown operation; one of {', '.join(DEFAULT_INTERVALS)}")
        return value


class SchedulePublic(ScheduleIn):
    next_due_at: datetime | None = None


class SchedulesPublic(SQLModel):
    data: list[SchedulePublic]


SCHEDULE = Schedule.__table__  # type: ignore[attr-defined]


def list_schedules(conn: Connection, channel_id: int) -> list[SchedulePublic]:
    stored = {
        r.operation: r
        for r in conn.execute(select(SCHEDULE).where(SCHEDULE.c.channel_id == channel_id))
    }
    out = []
    for operation, interval in DEFAULT_INTERVALS.items():
        row = stored.get(operation)
        out.append(
            SchedulePublic(
                operation=operation,
                enabled=row.enabled if row else False,
                interval_seconds=row.interval_seconds if row else interval,
                next_due_at=row.next_due_at if row and row.enabled else None,
            )
        )
    return out


def save_schedules(conn: Connection, channel_id: int, schedules: list[ScheduleIn]) -> None:
    now = utcnow()
    conn.execute(SCHEDULE.delete().where(SCHEDULE.c.channel_id == channel_id))
    if schedules:
        conn.execute(
            SCHEDULE.insert(),
            [s.model_dump() | {"channel_id": channel_id, "next_due_at": now} for s in schedules],
        )


def claim_due(engine: Engine, now: datetime | None = None, limit: int = 20) -> list[Any]:
    """Claims due (channel, operation) slots; each slot goes to exactly one caller."""
    now = now or utcnow()
    with engine.connect() as conn:
        due = conn.execute(
            select(SCHEDULE)
            .where(SCHEDULE.c.enabled.is_(True), SCHEDULE.c.next_due_at <= now)
            .order_by(SCHEDULE.c.next_due_at)
            .limit(limit)
        ).all()
    claimed = []
    for row in due:
        with engine.begin() as conn:
            won = conn.execute(
                update(SCHEDULE)
                .where(
                    SCHEDULE.c.channel_id == row.channel_id,
                    SCHEDULE.c.operation == row.operation,
                    SCHEDULE.c.next_due_at == row.next_due_at,
                )
                .values(
                    next_due_at=max(row.next_due_at, now) + timedelta(seconds=row.interval_seconds)
                )
            ).rowcount
        if won == 1:
            claimed.append(row)
    return claimed
