"""Channel lifecycle: create/update with encrypted secrets, feed tokens and export status."""

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from feed.catalog.offers import refresh_offers
from feed.crypto import SecretBox, hash_token, new_feed_token
from feed.db import utcnow
from feed.errors import ConflictError, InvalidInputError
from feed.export.builder import request_rebuild
from feed.export.template import ExportColumn, effective_template, remap_warnings, validate_template
from feed.models import Channel, FeedFetch, FeedSnapshot
from feed.rules import ChannelRules
from feed.schemas import ChannelCreate, ChannelPublic, ChannelUpdate

logger = logging.getLogger(__name__)


def _template(columns: list[ExportColumn] | None) -> list[dict[str, str]] | None:
    if columns is None:
        return None
    try:
        validate_template(columns)
    except ValueError as exc:
        raise InvalidInputError(
            [{"loc": ["body", "export_template"], "message": str(exc)}]
        ) from None
    return [c.model_dump() for c in columns]


def to_public(channel: Channel, warnings: list[str] | None = None) -> ChannelPublic:
    assert channel.id is not None
    return ChannelPublic(
        id=channel.id,
        name=channel.name,
        application_id=channel.application_id,
        base_url=channel.base_url,
        has_apim_subscription_key=channel.apim_subscription_key_enc is not None,
        export_template=effective_template(channel.export_template),
        export_bom=channel.export_bom,
        export_neutralize_formulas=channel.export_neutralize_formulas,
        rules=ChannelRules.model_validate(channel.rules or {}),
        publish_via=channel.publish_via,
        ecomdash_warehouse_id=channel.ecomdash_warehouse_id,
        order_statuses=channel.order_statuses,
        order_days=channel.order_days,
        import_unknown_skus=channel.import_unknown_skus,
        acknowledge_orders=channel.acknowledge_orders,
        order_ack_url=channel.order_ack_url,
        created_at=channel.created_at,
        updated_at=channel.updated_at,
        warnings=warnings or [],
    )


def _commit(session: Session, channel: Channel) -> None:
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError(f"a channel named {channel.name!r} already exists") from None
    session.refresh(channel)


def _check_acknowledgements(channel: Channel) -> None:
    if channel.acknowledge_orders and not channel.order_ack_url:
        raise InvalidInputError(
            [
                {
                    "loc": ["body", "order_ack_url"],
                    "message": "required when acknowledge_orders is true",
                }
            ]
        )


def create_channel(session: Session, box: SecretBox, data: ChannelCreate) -> Channel:
    token = new_feed_token()
    channel = Channel(
        name=data.name,
        ecd_subscription_key_enc=box.encrypt(data.ecd_subscription_key),
        apim_subscription_key_enc=(
            box.encrypt(data.apim_subscription_key) if data.apim_subscription_key else None
        ),
        application_id=data.application_id,
        base_url=str(data.base_url).rstrip("/"),
        export_template=_template(data.export_template),
        export_bom=data.export_bom,
        export_neutralize_formulas=data.export_neutralize_formulas,
        rules=data.rules.model_dump(mode="json") if data.rules is not None else None,
        publish_via=data.publish_via,
        ecomdash_warehouse_id=data.ecomdash_warehouse_id,
        order_statuses=data.order_statuses,
        order_days=data.order_days,
        import_unknown_skus=data.import_unknown_skus,
        acknowledge_orders=data.acknowledge_orders,
        order_ack_url=str(data.order_ack_url) if data.order_ack_url else None,
        feed_token_enc=box.encrypt(token),
        feed_token_hash=hash_token(token),
    )
    _check_acknowledgements(channel)
    if session.exec(select(Channel).where(Channel.name == data.name)).first() is not None:
        raise ConflictError(f"a channel named {data.name!r} already exists")
    session.add(channel)
    _commit(session, channel)
    logger.info("feed.channel.created channel=%s name=%s", channel.id, channel.name)
    return channel


def update_channel(
    session: Session, box: SecretBox, channel: Channel, data: ChannelUpdate
) -> list[str]:
    """Applies a partial update; returns warnings for changes the merchant must act on."""
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    warnings: list[str] = []
    rebuild = refresh = False
    if "ecd_subscription_key" in changes:
        key = changes.pop("ecd_subscription_key")
        if not key:
            raise InvalidInputError(
                [{"loc": ["body", "ecd_subscription_key"], "message": "cannot be removed"}]
            )
        channel.ecd_subscription_key_enc = box.encrypt(key.strip())
    if "apim_subscription_key" in changes:
        key = changes.pop("apim_subscription_key")
        channel.apim_subscription_key_enc = box.encrypt(key.strip()) if key else None
    if "export_template" in changes:
        changes.pop("export_template")
        new = data.export_template
        old = effective_template(channel.export_template)
        channel.export_template = _template(new)
        warnings = remap_warnings(old, effective_template(channel.export_template))
        rebuild = True
    if "base_url" in changes:
        changes.pop("base_url")
        if data.base_url is None:
            raise InvalidInputError([{"loc": ["body", "base_url"], "message": "cannot be null"}])
        channel.base_url = str(data.base_url).rstrip("/")
    if "rules" in changes:
        changes.pop("rules")
        channel.rules = data.rules.model_dump(mode="json") if data.rules is not None else None
        refresh = True
    if "publish_via" in changes:
        value = changes.pop("publish_via")
        if value is None:
            raise InvalidInputError([{"loc": ["body", "publish_via"], "message": "cannot be null"}])
        channel.publish_via = value
    if "ecomdash_warehouse_id" in changes:
        channel.ecomdash_warehouse_id = changes.pop("ecomdash_warehouse_id")
    if "order_ack_url" in changes:
        changes.pop("order_ack_url")
        channel.order_ack_url = str(data.order_ack_url) if data.order_ack_url else None
    for name in ("order_statuses", "order_days", "import_unknown_skus", "acknowledge_orders"):
        if name in changes:
            value = changes.pop(name)
            if value is None:
                raise InvalidInputError([{"loc": ["body", name], "message": "cannot be null"}])
            setattr(channel, name, value)
    for name in ("name", "export_bom", "export_neutralize_formulas"):
        if name in changes:
            value = changes.pop(name)
            if value is None:
                raise InvalidInputError([{"loc": ["body", name], "message": "cannot be null"}])
            rebuild = rebuild or name != "name"
            setattr(channel, name, value)
    if "application_id" in changes:
        channel.application_id = changes.pop("application_id")
    _check_acknowledgements(channel)
    channel.updated_at = utcnow()
    session.add(channel)
    if rebuild or refresh:
        session.flush()
        assert channel.id is not None
        if refresh:  # new rules: new offers, so the feed and the next sync follow
            refresh_offers(session.connection(), channel.id)
        request_rebuild(session.connection(), channel.id)
    _commit(session, channel)
    return warnings


def feed_token(box: SecretBox, channel: Channel) -> str:
    return box.decrypt(channel.feed_token_enc)


def rotate_token(session: Session, box: SecretBox, channel: Channel, grace_seconds: int) -> None:
    token = new_feed_token()
    if grace_seconds > 0:
        channel.previous_token_hash = channel.feed_token_hash
        channel.previous_token_expires_at = utcnow() + timedelta(seconds=grace_seconds)
    else:
        channel.previous_token_hash = None
        channel.previous_token_expires_at = None
    channel.feed_token_enc = box.encrypt(token)
    channel.feed_token_hash = hash_token(token)
    channel.updated_at = utcnow()
    session.add(channel)
    session.commit()
    session.refresh(channel)
    logger.info("feed.token.rotated channel=%s grace_seconds=%s", channel.id, grace_seconds)


def snapshots(session: Session, channel_id: int) -> dict[str, FeedSnapshot]:
    rows = session.exec(select(FeedSnapshot).where(FeedSnapshot.channel_id == channel_id))
    return {s.format: s for s in rows.all()}


def recent_fetches(session: Session, channel_id: int, limit: int) -> list[FeedFetch]:
    rows = session.exec(
        select(FeedFetch)
        .where(FeedFetch.channel_id == channel_id)
        .order_by(col(FeedFetch.id).desc())
        .limit(limit)
    )
    return list(rows.all())
