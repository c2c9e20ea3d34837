"""Tables and the Create/Update/Public models the API speaks."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import AnyHttpUrl, field_validator
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from feed.db import UTCDateTime, utcnow
from feed.export.template import ExportColumn
from feed.rules import ChannelRules
from feed.settings import ECOMDASH_BASE_URL

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$"
Money = Numeric(12, 2)
PublishVia = Literal["feed", "api"]


class Channel(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    ecd_subscription_key_enc: str
    apim_subscription_key_enc: str | None = None
    application_id: str | None = Field(default=None, max_length=200)
    base_url: str = Field(default=ECOMDASH_BASE_URL, max_length=500)
    export_template: list[dict[str, str]] | None = Field(default=None, sa_column=Column(JSON))
    export_bom: bool = False
    # Prefix cells a spreadsheet would run as a formula (=, +, -, @) with an apostrophe.
    export_neutralize_formulas: bool = False
    # Pricing, quantity and filter rules (feed.rules.ChannelRules); None = the defaults.
    rules: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # publish-listings: "feed" (the custom export) or "api" (ecomdash's Create Product).
    publish_via: str = Field(default="feed", max_length=8)
    # The warehouse quantities go to; found with GET /Warehouses when not set.
    ecomdash_warehouse_id: int | None = Field(default=None, sa_type=BigInteger)
    # get-orders: which ecomdash statuses to import, and how many days back.
    order_statuses: list[str] = Field(
        default_factory=lambda: ["InProcess"], sa_column=Column(JSON, nullable=False)
    )
    order_days: int = 7
    # Lines whose SKU has no linked listing: hold the order (default) or import it flagged.
    import_unknown_skus: bool = False
    # Acknowledge each imported order to a URL (ecomdash itself has no acknowledgement call).
    acknowledge_orders: bool = False
    order_ack_url: str | None = Field(default=None, max_length=500)

    feed_token_enc: str
    feed_token_hash: str = Field(max_length=64, unique=True, index=True)
    previous_token_hash: str | None = Field(default=None, max_length=64, index=True)
    previous_token_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    # Coalesced rebuilds: every change bumps the generation; a build records what it covered.
    feed_generation: int = 1
    feed_built_generation: int = 0
    feed_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    feed_pending_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    feed_last_error: str | None = None

    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Listing(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("channel_id", "sku", name="uq_listing_channel_sku"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(
        sa_column=Column(Integer, ForeignKey("channel.id", ondelete="CASCADE"), nullable=False)
    )
    sku: str = Field(max_length=200)
    name: str | None = None
    short_description: str | None = None
    description: str | None = None
    brand: str | None = None
    upc: str | None = Field(default=None, max_length=12)
    ean: str | None = Field(default=None, max_length=13)
    gtin: str | None = Field(default=None, max_length=14)
    isbn: str | None = Field(default=None, max_length=13)
    mpn: str | None = None
    quantity: int = 0
    cost: Decimal | None = Field(default=None, sa_type=Money)
    price: Decimal | None = Field(default=None, sa_type=Money)
    msrp: Decimal | None = Field(default=None, sa_type=Money)
    map_price: Decimal | None = Field(default=None, sa_type=Money)
    weight: float | None = None
    condition: str | None = Field(default=None, max_length=20)
    is_discontinued: bool = False
    images: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    supplier_sku: str | None = None
    supplier_name: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The ecomdash product this listing is linked to (link-listings), and how.
    ecomdash_product_id: int | None = Field(default=None, sa_type=BigInteger)
    ecomdash_sku: str | None = Field(default=None, max_length=200)
    link_state: str = Field(default="unlinked", max_length=16)
    link_method: str | None = Field(default=None, max_length=8)
    link_message: str | None = None
    linked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The channel's offer (feed.rules.compute_offer), kept current on every write.
    offered: bool = True
    offer_price: Decimal | None = Field(default=None, sa_type=Money)
    offer_quantity: int = 0
    # What ecomdash last confirmed (sync-listings sends only what differs).
    synced_quantity: int | None = None
    synced_price: Decimal | None = Field(default=None, sa_type=Money)
    sync_error: str | None = None
    synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


ACTIVE_RUN_STATES = ("queued", "running")


class Run(SQLModel, table=True):
    """One execution of an operation for a channel; at most one active per (channel, op)."""

    __table_args__ = (
        Index(
            "uq_run_active",
            "channel_id",
            "operation",
            unique=True,
            sqlite_where=text("state IN ('queued', 'running')"),
            postgresql_where=text("state IN ('queued', 'running')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("channel.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    operation: str = Field(max_length=32)
    trigger: str = Field(max_length=16)
    state: str = Field(max_length=20)
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    api_calls: int = 0
    progress_done: int = 0
    progress_total: int | None = None
    error: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RunError(SQLModel, table=True):
    __tablename__ = "run_error"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("run.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    sku: str | None = None
    message: str


class FeedSnapshot(SQLModel, table=True):
    """The finished feed file a channel serves, one row per format, swapped in one UPDATE."""

    __tablename__ = "feed_snapshot"

    channel_id: int = Field(
        sa_column=Column(Integer, ForeignKey("channel.id", ondelete="CASCADE"), primary_key=True)
    )
    format: str = Field(primary_key=True, max_length=8)
    file_name: str
    gzip_file_name: str
    etag: str = Field(max_length=80)
    size: int
    gzip_size: int
    rows: int
    built_at: datetime = Field(sa_type=UTCDateTime)
    build_seconds: float


class FeedFetch(SQLModel, table=True):
    __tablename__ = "feed_fetch"

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("channel.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    at: datetime = Field(sa_type=UTCDateTime)
    format: str = Field(max_length=8)
    status: int
    bytes: int
    client: str | None = Field(default=None, max_length=100)
    user_agent: str | None = Field(default=None, max_length=300)


# --- API models -----------------------------------------------------------------------------


class ChannelBase(SQLModel):
    application_id: str | None = Field(default=None, max_length=200)
    base_url: AnyHttpUrl = AnyHttpUrl(ECOMDASH_BASE_URL)
    export_template: list[ExportColumn] | None = None
    export_bom: bool = False
    export_neutralize_formulas: bool = False
    rules: ChannelRules | None = None
    publish_via: PublishVia = "feed"
    ecomdash_warehouse_id: int | None = Field(default=None, ge=1)
    order_statuses: list[str] = Field(default=["InProcess"], min_length=1)
    order_days: int = Field(default=7, ge=1, le=90)
    import_unknown_skus: bool = False
    acknowledge_orders: bool = False
    order_ack_url: AnyHttpUrl | None = None


class ChannelCreate(ChannelBase):
    name: str = Field(regex=NAME_PATTERN)
    ecd_subscription_key: str = Field(min_length=1, max_length=200)
    apim_subscription_key: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("ecd_subscription_key", "apim_subscription_key")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None


class ChannelUpdate(SQLModel):
    name: str | None = Field(default=None, regex=NAME_PATTERN)
    ecd_subscription_key: str | None = Field(default=None, min_length=1, max_length=200)
    apim_subscription_key: str | None = Field(default=None, max_length=200)
    application_id: str | None = Field(default=None, max_length=200)
    base_url: AnyHttpUrl | None = None
    export_template: list[ExportColumn] | None = None
    export_bom: bool | None = None
    export_neutralize_formulas: bool | None = None
    rules: ChannelRules | None = None
    publish_via: PublishVia | None = None
    ecomdash_warehouse_id: int | None = Field(default=None, ge=1)
    order_statuses: list[str] | None = Field(default=None, min_length=1)
    order_days: int | None = Field(default=None, ge=1, le=90)
    import_unknown_skus: bool | None = None
    acknowledge_orders: bool | None = None
    order_ack_url: AnyHttpUrl | None = None


class ChannelPublic(SQLModel):
    id: int
    name: str
    application_id: str | None
    base_url: str
    has_apim_subscription_key: bool
    export_template: list[ExportColumn]
    export_bom: bool
    export_neutralize_formulas: bool
    rules: ChannelRules
    publish_via: str
    ecomdash_warehouse_id: int | None
    order_statuses: list[str]
    order_days: int
    import_unknown_skus: bool
    acknowledge_orders: bool
    order_ack_url: str | None
    created_at: datetime
    updated_at: datetime
    warnings: list[str] = []


class ChannelsPublic(SQLModel):
    data: list[ChannelPublic]
    count: int


class ListingPublic(SQLModel):
    sku: str
    name: str | None
    short_description: str | None
    description: str | None
    brand: str | None
    upc: str | None
    ean: str | None
    gtin: str | None
    isbn: str | None
    mpn: str | None
    quantity: int
    cost: Decimal | None
    price: Decimal | None
    msrp: Decimal | None
    map_price: Decimal | None
    weight: float | None
    condition: str | None
    is_discontinued: bool
    images: list[str]
    supplier_sku: str | None
    supplier_name: str | None
    attributes: dict[str, Any]
    ecomdash_product_id: int | None
    ecomdash_sku: str | None
    link_state: str
    link_method: str | None
    link_message: str | None
    offered: bool
    offer_price: Decimal | None
    offer_quantity: int
    synced_quantity: int | None
    synced_price: Decimal | None
    sync_error: str | None
    updated_at: datetime


class ListingsPage(SQLModel):
    data: list[ListingPublic]
    next_cursor: str | None


class ImportResult(SQLModel):
    received: int
    created: int
    updated: int


class FeedFormatStatus(SQLModel):
    rows: int
    size: int
    gzip_size: int
    etag: str
    built_at: datetime
    build_seconds: float


class FeedFetchPublic(SQLModel):
    at: datetime
    format: str
    status: int
    bytes: int
    client: str | None
    user_agent: str | None


class ExportStatus(SQLModel):
    csv_url: str
    json_url: str
    previous_token_valid_until: datetime | None
    pending_changes: bool
    last_error: str | None
    formats: dict[str, FeedFormatStatus]
    recent_fetches: list[FeedFetchPublic]


class RotateRequest(SQLModel):
    grace_seconds: int | None = Field(default=None, ge=0, le=30 * 24 * 3600)


class RunErrorPublic(SQLModel):
    sku: str | None
    message: str


class RunPublic(SQLModel):
    id: int
    channel_id: int
    operation: str
    trigger: str
    state: str
    options: dict[str, Any]
    counts: dict[str, int]
    api_calls: int
    progress_done: int
    progress_total: int | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RunDetail(RunPublic):
    errors: list[RunErrorPublic]


class RunsPublic(SQLModel):
    data: list[RunPublic]


class OfferPublic(SQLModel):
    sku: str
    offered: bool
    price: Decimal | None
    quantity: int
    price_rule: str
    quantity_rule: str
    excluded_by: str | None
