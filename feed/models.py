"""The tables; the models the API speaks are in ``feed.schemas``."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

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
