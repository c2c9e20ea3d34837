"""The Create/Update/Public models the admin API speaks (the tables are in ``feed.models``)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import AnyHttpUrl, field_validator
from sqlmodel import Field, SQLModel

from feed.export.template import ExportColumn
from feed.models import NAME_PATTERN, PublishVia
from feed.rules import ChannelRules
from feed.settings import ECOMDASH_BASE_URL


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
