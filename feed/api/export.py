"""The custom export: feed links, build status, manual builds, token rotation, fetch log."""

from fastapi import APIRouter, Request

from feed.api.deps import ChannelDep, EngineDep, FeedCacheDep, SecretBoxDep, SettingsDep
from feed.channels import feed_token, recent_fetches, rotate_token, snapshots
from feed.db import SessionDep
from feed.export.snapshot import build_snapshot
from feed.models import Channel
from feed.schemas import ExportStatus, FeedFetchPublic, FeedFormatStatus, RotateRequest
from feed.settings import Settings

router = APIRouter(prefix="/channels/{channel_id}/export", tags=["export"])


def feed_links(settings: Settings, token: str) -> tuple[str, str]:
    base = f"{settings.PUBLIC_BASE_URL.rstrip('/')}/feeds/{token}"
    return f"{base}.csv", f"{base}.json"


def _status(
    request: Request, session: SessionDep, channel: Channel, settings: Settings, token: str
) -> ExportStatus:
    request.app.state.fetch_log.flush(request.app.state.engine)
    assert channel.id is not None
    csv_url, json_url = feed_links(settings, token)
    return ExportStatus(
        csv_url=csv_url,
        json_url=json_url,
        previous_token_valid_until=channel.previous_token_expires_at,
        pending_changes=channel.feed_built_generation < channel.feed_generation,
        last_error=channel.feed_last_error,
        formats={
            fmt: FeedFormatStatus.model_validate(s, from_attributes=True)
            for fmt, s in snapshots(session, channel.id).items()
        },
        recent_fetches=[
            FeedFetchPublic.model_validate(f, from_attributes=True)
            for f in recent_fetches(session, channel.id, settings.FEED_FETCH_LOG_SIZE)
        ],
    )


@router.get("", response_model=ExportStatus)
def get_export(
    request: Request,
    channel: ChannelDep,
    session: SessionDep,
    settings: SettingsDep,
    box: SecretBoxDep,
) -> ExportStatus:
    return _status(request, session, channel, settings, feed_token(box, channel))


@router.post("", response_model=ExportStatus)
def run_export(
    request: Request,
    channel: ChannelDep,
    session: SessionDep,
    settings: SettingsDep,
    box: SecretBoxDep,
    engine: EngineDep,
    cache: FeedCacheDep,
) -> ExportStatus:
    """Builds the feed now (the "Custom Export" operation) instead of waiting for the builder."""
    assert channel.id is not None
    build_snapshot(
        engine,
        channel.id,
        settings.DATA_DIR,
        settings.FEED_GZIP_LEVEL,
        processes=settings.FEED_BUILD_PROCESSES,
    )
    cache.clear()
    session.refresh(channel)
    return _status(request, session, channel, settings, feed_token(box, channel))


@router.post("/rotate", response_model=ExportStatus)
def rotate_export_token(
    request: Request,
    channel: ChannelDep,
    session: SessionDep,
    settings: SettingsDep,
    box: SecretBoxDep,
    cache: FeedCacheDep,
    body: RotateRequest | None = None,
) -> ExportStatus:
    """Issues a new feed link; the old one stops working after ``grace_seconds``."""
    grace = settings.FEED_TOKEN_GRACE_SECONDS
    if body is not None and body.grace_seconds is not None:
        grace = body.grace_seconds
    rotate_token(session, box, channel, grace)
    cache.clear()
    return _status(request, session, channel, settings, feed_token(box, channel))
