"""Dependencies every admin route shares: settings, admin auth, the channel by id."""

import secrets
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine

from feed.api.feeds import FeedLookupCache
from feed.crypto import SecretBox
from feed.db import SessionDep
from feed.errors import NotFoundError, UnauthorizedError
from feed.models import Channel
from feed.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="FEED_ADMIN_TOKEN")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_secret_box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.secret_box
    return box


def get_feed_cache(request: Request) -> FeedLookupCache:
    cache: FeedLookupCache = request.app.state.feed_cache
    return cache


SettingsDep = Annotated[Settings, Depends(get_settings)]
FeedCacheDep = Annotated[FeedLookupCache, Depends(get_feed_cache)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SecretBoxDep = Annotated[SecretBox, Depends(get_secret_box)]


def require_admin(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    expected = settings.ADMIN_TOKEN or ""
    if credentials is None or not secrets.compare_digest(
        credentials.credentials.encode(), expected.encode()
    ):
        raise UnauthorizedError()


AdminDep = Annotated[None, Depends(require_admin)]


# Ids are 32-bit integer columns: a larger one is a 422, not a database error.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def get_channel(channel_id: RowId, session: SessionDep) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise NotFoundError(f"channel {channel_id} not found")
    # Give the connection back now: a handler that then opens its own (bulk import, runs)
    # must not hold two at once, or enough concurrent requests exhaust the pool and deadlock.
    session.commit()
    return channel


ChannelDep = Annotated[Channel, Depends(get_channel)]
