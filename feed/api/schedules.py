"""Per-channel schedules of the operations."""

from fastapi import APIRouter

from feed.api.deps import ChannelDep, EngineDep
from feed.schedules import ScheduleIn, SchedulesPublic, list_schedules, save_schedules

router = APIRouter(prefix="/channels/{channel_id}/schedules", tags=["schedules"])


@router.get("", response_model=SchedulesPublic)
def get_schedules(channel: ChannelDep, engine: EngineDep) -> SchedulesPublic:
    """Every operation, with its interval and whether it runs; disabled until turned on."""
    assert channel.id is not None
    with engine.connect() as conn:
        return SchedulesPublic(data=list_schedules(conn, channel.id))


@router.put("", response_model=SchedulesPublic)
def put_schedules(
    channel: ChannelDep, schedules: list[ScheduleIn], engine: EngineDep
) -> SchedulesPublic:
    """Replaces the channel's schedules; an enabled schedule is due at once."""
    assert channel.id is not None
    with engine.begin() as conn:
        save_schedules(conn, channel.id, schedules)
        return SchedulesPublic(data=list_schedules(conn, channel.id))
