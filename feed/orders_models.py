"""Tables and API models for orders: shipping mappings, imported orders and their lines."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from feed.db import UTCDateTime, utcnow
from feed.models import Money


class ShippingMapping(SQLModel, table=True):
    """A store's shipping method text (matched case-insensitively) -> carrier and service."""

    __tablename__ = "shipping_mapping"
    __table_args__ = (UniqueConstraint("channel_id", "method_key", name="uq_mapping_method"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(
        sa_column=Column(Integer, ForeignKey("channel.id", ondelete="CASCADE"), nullable=False)
    )
    method: str = Field(max_length=200)
    method_key: str = Field(max_length=200)
    carrier: str = Field(max_length=100)
    service: str = Field(max_length=100)
    ecomdash_carrier_id: int | None = Field(default=None, sa_type=BigInteger)


class SalesOrder(SQLModel, table=True):
    """An ecomdash order, imported once per channel; ``hold_reasons`` say why it waits."""

    __tablename__ = "sales_order"
    __table_args__ = (
        UniqueConstraint("channel_id", "ecomdash_order_id", name="uq_order_ecomdash_id"),
        Index(
            "ix_order_storefront_number", "channel_id", "storefront_type", "storefront_order_number"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("channel.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    ecomdash_order_id: int = Field(sa_type=BigInteger)
    storefront_type: str | None = Field(default=None, max_length=50)
    storefront_id: int | None = Field(default=None, sa_type=BigInteger)
    storefront_order_number: str | None = Field(default=None, max_length=100)
    ecomdash_status: str | None = Field(default=None, max_length=40)
    created_date: datetime | None = Field(default=None, sa_type=UTCDateTime)
    total_amount: Decimal | None = Field(default=None, sa_type=Money)
    buyer_name: str | None = None
    buyer_email: str | None = None
    ship_to: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    shipping_method: str | None = None
    carrier: str | None = Field(default=None, max_length=100)
    service: str | None = Field(default=None, max_length=100)
    ecomdash_carrier_id: int | None = Field(default=None, sa_type=BigInteger)
    state: str = Field(default="ready", max_length=16)  # ready | held | cancelled
    hold_reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The acknowledgement step (channel option): when it got through, or why it did not yet.
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ack_attempts: int = 0
    ack_error: str | None = None


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_line"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("sales_order.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    ecomdash_line_id: int | None = Field(default=None, sa_type=BigInteger)
    sku: str | None = Field(default=None, max_length=200)
    product_name: str | None = None
    quantity: int
    unit_price: Decimal | None = Field(default=None, sa_type=Money)
    listing_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("listing.id", ondelete="SET NULL"), nullable=True),
    )
    unknown_sku: bool = False


# --- API models -----------------------------------------------------------------------------


class ShippingMappingIn(SQLModel):
    method: str = Field(min_length=1, max_length=200)
    carrier: str = Field(min_length=1, max_length=100)
    service: str = Field(min_length=1, max_length=100)
    ecomdash_carrier_id: int | None = Field(default=None, ge=1)


class ShippingMappingsPublic(SQLModel):
    data: list[ShippingMappingIn]
    released: int = 0


class OrderLinePublic(SQLModel):
    sku: str | None
    product_name: str | None
    quantity: int
    unit_price: Decimal | None
    listing_id: int | None
    unknown_sku: bool


class OrderPublic(SQLModel):
    id: int
    channel_id: int
    ecomdash_order_id: int
    storefront_type: str | None
    storefront_order_number: str | None
    ecomdash_status: str | None
    created_date: datetime | None
    total_amount: Decimal | None
    buyer_name: str | None
    shipping_method: str | None
    carrier: str | None
    service: str | None
    state: str
    hold_reasons: list[str]
    imported_at: datetime
    acknowledged_at: datetime | None
    ack_error: str | None


class OrderDetail(OrderPublic):
    buyer_email: str | None
    ship_to: dict[str, Any] | None
    ecomdash_carrier_id: int | None
    lines: list[OrderLinePublic]


class OrdersPage(SQLModel):
    data: list[OrderPublic]
    next_cursor: str | None


class Shipment(SQLModel, table=True):
    """A shipment we record for an order; sync-orders gets it to ecomdash exactly once."""

    __tablename__ = "shipment"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("sales_order.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    channel_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("channel.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    carrier: str | None = Field(default=None, max_length=100)
    service: str | None = Field(default=None, max_length=100)
    tracking_number: str | None = Field(default=None, max_length=100)
    shipped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    suppress_tracking: bool = False
    # pending -> (ecomdash shipment created) -> confirmed | failed (retried) | suppressed
    state: str = Field(default="pending", max_length=16)
    ecomdash_shipment_id: int | None = Field(default=None, sa_type=BigInteger)
    ecomdash_item_ids: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )  # our order line id -> ecomdash shipment item id
    error: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ShipmentLine(SQLModel, table=True):
    __tablename__ = "shipment_line"

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("shipment.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    order_line_id: int = Field(
        sa_column=Column(Integer, ForeignKey("order_line.id", ondelete="CASCADE"), nullable=False)
    )
    quantity: int


class ShipmentLineIn(SQLModel):
    sku: str = Field(min_length=1, max_length=200)
    quantity: int = Field(ge=1)


class ShipmentCreate(SQLModel):
    carrier: str | None = Field(default=None, max_length=100)
    service: str | None = Field(default=None, max_length=100)
    tracking_number: str | None = Field(default=None, min_length=1, max_length=100)
    shipped_at: datetime | None = None
    suppress_tracking: bool = False
    lines: list[ShipmentLineIn] = Field(min_length=1)


class ShipmentPublic(SQLModel):
    id: int
    order_id: int
    carrier: str | None
    service: str | None
    tracking_number: str | None
    shipped_at: datetime | None
    suppress_tracking: bool
    state: str
    ecomdash_shipment_id: int | None
    error: str | None
    lines: list[ShipmentLineIn]
