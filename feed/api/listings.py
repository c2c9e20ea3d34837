"""Listings: the products a channel offers, upserted in bulk from JSON or CSV."""

import base64
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import delete, func, or_
from sqlmodel import col, select

from feed.api.deps import ChannelDep, EngineDep, SettingsDep
from feed.catalog.importer import import_listings, json_records, read_csv_bytes
from feed.db import SessionDep
from feed.errors import (
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from feed.export.builder import request_rebuild
from feed.models import Listing
from feed.rules import ChannelRules, compute_offer
from feed.schemas import ImportResult, ListingPublic, ListingsPage, OfferPublic

router = APIRouter(prefix="/channels/{channel_id}/listings", tags=["listings"])

_LISTING_SCHEMA = {"$ref": "#/components/schemas/ListingPublic"}
_UPSERT_BODY = {
    "requestBody": {
        "required": True,
        "description": (
            "A JSON array of listings (keys as in ListingPublic; absent keys are left as they "
            "are) or a CSV file with a header row (unknown columns become attributes)."
        ),
        "content": {
            "application/json": {"schema": {"type": "array", "items": _LISTING_SCHEMA}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.put("", response_model=ImportResult, openapi_extra=_UPSERT_BODY)
async def upsert_listings(
    request: Request, channel: ChannelDep, engine: EngineDep, settings: SettingsDep
) -> ImportResult:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json":
        parse = json_records
    elif media_type in ("text/csv", "application/csv"):
        parse = read_csv_bytes
    else:
        raise UnsupportedMediaTypeError("send application/json or text/csv")
    body = await _read_body(request, settings.MAX_IMPORT_BYTES)
    assert channel.id is not None
    return await run_in_threadpool(
        import_listings, engine, channel.id, parse(body), max_errors=settings.MAX_IMPORT_ERRORS
    )


def _encode_cursor(sku: str) -> str:
    return base64.urlsafe_b64encode(sku.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError(
            [{"loc": ["query", "cursor"], "message": "invalid cursor"}]
        ) from None


@router.get("", response_model=ListingsPage)
def list_listings(
    channel: ChannelDep,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=200, description="SKU or name contains")] = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ListingsPage:
    stmt = select(Listing).where(Listing.channel_id == channel.id)
    if q:
        pattern = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(func.lower(Listing.sku).like(pattern), func.lower(Listing.name).like(pattern))
        )
    if cursor:
        stmt = stmt.where(Listing.sku > _decode_cursor(cursor))
    rows = session.exec(stmt.order_by(col(Listing.sku)).limit(limit + 1)).all()
    page = rows[:limit]
    next_cursor = _encode_cursor(page[-1].sku) if len(rows) > limit else None
    return ListingsPage(
        data=[ListingPublic.model_validate(r, from_attributes=True) for r in page],
        next_cursor=next_cursor,
    )


def _find(session: SessionDep, channel_id: int | None, sku: str) -> Listing:
    listing = session.exec(
        select(Listing).where(Listing.channel_id == channel_id, Listing.sku == sku)
    ).first()
    if listing is None:
        raise NotFoundError(f"listing {sku!r} not found")
    return listing


@router.get("/{sku:path}/offer", response_model=OfferPublic)
def get_offer(channel: ChannelDep, sku: str, session: SessionDep) -> OfferPublic:
    """The channel's offer for one listing under the current rules, and which rule decided."""
    listing = _find(session, channel.id, sku)
    offer = compute_offer(listing.model_dump(), ChannelRules.model_validate(channel.rules or {}))
    return OfferPublic(sku=listing.sku, **asdict(offer))


@router.get("/{sku:path}", response_model=ListingPublic)
def get_listing(channel: ChannelDep, sku: str, session: SessionDep) -> ListingPublic:
    return ListingPublic.model_validate(_find(session, channel.id, sku), from_attributes=True)


@router.delete("/{sku:path}", status_code=status.HTTP_204_NO_CONTENT)
def delete_listing(channel: ChannelDep, sku: str, session: SessionDep) -> None:
    listing = _find(session, channel.id, sku)
    assert channel.id is not None
    session.exec(delete(Listing).where(col(Listing.id) == listing.id))
    request_rebuild(session.connection(), channel.id)
    session.commit()
