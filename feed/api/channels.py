"""Channels: an ecomdash connection plus the export settings of its feed."""

from fastapi import APIRouter, status
from sqlmodel import select

from feed.api.deps import ChannelDep, EngineDep, FeedCacheDep, SecretBoxDep, SettingsDep
from feed.channels import create_channel, to_public, update_channel
from feed.db import SessionDep
from feed.export.builder import build_and_record
from feed.export.snapshot import remove_channel_files
from feed.models import Channel
from feed.schemas import ChannelCreate, ChannelPublic, ChannelsPublic, ChannelUpdate

router = APIRouter(prefix="/channels", tags=["channels"])


@router.get("", response_model=ChannelsPublic)
def list_channels(session: SessionDep) -> ChannelsPublic:
    channels = session.exec(select(Channel).order_by(Channel.name)).all()
    return ChannelsPublic(data=[to_public(c) for c in channels], count=len(channels))


@router.post("", response_model=ChannelPublic, status_code=status.HTTP_201_CREATED)
def post_channel(
    data: ChannelCreate,
    session: SessionDep,
    box: SecretBoxDep,
    engine: EngineDep,
    settings: SettingsDep,
) -> ChannelPublic:
    channel = create_channel(session, box, data)
    assert channel.id is not None
    # The links work from the first moment: an empty channel serves an empty feed.
    build_and_record(
        engine,
        channel.id,
        settings.DATA_DIR,
        settings.FEED_GZIP_LEVEL,
        processes=settings.FEED_BUILD_PROCESSES,
    )
    session.refresh(channel)
    return to_public(channel)


@router.get("/{channel_id}", response_model=ChannelPublic)
def get_channel(channel: ChannelDep) -> ChannelPublic:
    return to_public(channel)


@router.patch("/{channel_id}", response_model=ChannelPublic)
def patch_channel(
    channel: ChannelDep, data: ChannelUpdate, session: SessionDep, box: SecretBoxDep
) -> ChannelPublic:
    warnings = update_channel(session, box, channel, data)
    return to_public(channel, warnings)


@router.delete("/{channel_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_channel(
    channel: ChannelDep,
    session: SessionDep,
    engine: EngineDep,
    settings: SettingsDep,
    cache: FeedCacheDep,
) -> None:
    channel_id = channel.id
    assert channel_id is not None
    session.delete(channel)
    session.commit()
    cache.clear()
    remove_channel_files(engine, channel_id, settings.DATA_DIR)
