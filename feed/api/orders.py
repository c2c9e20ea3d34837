"""Orders imported from ecomdash, and the shipping mappings that route them."""

import base64
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import delete, insert
from sqlmodel import col, select

from feed.api.deps import ChannelDep, EngineDep, RowId
from feed.db import SessionDep
from feed.errors import InvalidInputError, NotFoundError
from feed.operations.holds import MAPPING, method_key, reevaluate_holds
from feed.orders_models import (
    OrderDetail,
    OrderLine,
    OrderLinePublic,
    OrderPublic,
    OrdersPage,
    SalesOrder,
    Shipment,
    ShipmentCreate,
    ShipmentPublic,
    ShippingMapping,
    ShippingMappingIn,
    ShippingMappingsPublic,
)
from feed.shipments import record_shipment, shipment_public

router = APIRouter(tags=["orders"])
ORDER_STATES = ("ready", "held", "cancelled")


@router.get("/channels/{channel_id}/shipping-mappings", response_model=ShippingMappingsPublic)
def get_shipping_mappings(channel: ChannelDep, session: SessionDep) -> ShippingMappingsPublic:
    rows = session.exec(
        select(ShippingMapping)
        .where(ShippingMapping.channel_id == channel.id)
        .order_by(col(ShippingMapping.method))
    ).all()
    return ShippingMappingsPublic(
        data=[ShippingMappingIn.model_validate(r, from_attributes=True) for r in rows]
    )


@router.put("/channels/{channel_id}/shipping-mappings", response_model=ShippingMappingsPublic)
def put_shipping_mappings(
    channel: ChannelDep, mappings: list[ShippingMappingIn], engine: EngineDep
) -> ShippingMappingsPublic:
    """Replaces the channel's mappings; held orders whose method is now mapped are released."""
    seen: dict[str, int] = {}
    for index, mapping in enumerate(mappings):
        key = method_key(mapping.method)
        if key in seen:
            raise InvalidInputError(
                [{"loc": ["body", index, "method"], "message": f"same method as item {seen[key]}"}]
            )
        seen[key] = index
    with engine.begin() as conn:
        conn.execute(delete(MAPPING).where(MAPPING.c.channel_id == channel.id))
        if mappings:
            conn.execute(
                insert(MAPPING),
                [
                    m.model_dump()
                    | {
                        "channel_id": channel.id,
                        "method": m.method.strip(),
                        "method_key": method_key(m.method),
                    }
                    for m in mappings
                ],
            )
        assert channel.id is not None
        released = reevaluate_holds(conn, channel.id, channel.import_unknown_skus)
    return ShippingMappingsPublic(data=mappings, released=released)


def _cursor(order_id: int) -> str:
    return base64.urlsafe_b64encode(str(order_id).encode()).decode()


@router.get("/channels/{channel_id}/orders", response_model=OrdersPage)
def list_orders(
    channel: ChannelDep,
    session: SessionDep,
    state: Annotated[str | None, Query(pattern="^(ready|held|cancelled)$")] = None,
    sku: Annotated[str | None, Query(max_length=200)] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> OrdersPage:
    """Newest first; ``cursor`` continues where the previous page stopped."""
    stmt = select(SalesOrder).where(SalesOrder.channel_id == channel.id)
    if state:
        stmt = stmt.where(SalesOrder.state == state)
    if sku:
        stmt = stmt.where(
            col(SalesOrder.id).in_(select(OrderLine.order_id).where(OrderLine.sku == sku))
        )
    if created_from:
        stmt = stmt.where(col(SalesOrder.created_date) >= created_from)
    if created_to:
        stmt = stmt.where(col(SalesOrder.created_date) <= created_to)
    if cursor:
        try:
            before = int(base64.urlsafe_b64decode(cursor.encode()).decode())
        except ValueError:
            raise InvalidInputError(
                [{"loc": ["query", "cursor"], "message": "invalid cursor"}]
            ) from None
        stmt = stmt.where(col(SalesOrder.id) < before)
    rows = session.exec(stmt.order_by(col(SalesOrder.id).desc()).limit(limit + 1)).all()
    page = rows[:limit]
    return OrdersPage(
        data=[OrderPublic.model_validate(r, from_attributes=True) for r in page],
        next_cursor=_cursor(page[-1].id) if len(rows) > limit and page[-1].id else None,
    )


@router.post("/orders/{order_id}/shipments", response_model=ShipmentPublic, status_code=201)
def create_shipment(order_id: RowId, data: ShipmentCreate, engine: EngineDep) -> ShipmentPublic:
    """Records a (partial) shipment; sync-orders sends its tracking to ecomdash."""
    return shipment_public(engine, record_shipment(engine, order_id, data))


@router.get("/orders/{order_id}/shipments", response_model=list[ShipmentPublic])
def list_shipments(order_id: RowId, session: SessionDep, engine: EngineDep) -> list[ShipmentPublic]:
    if session.get(SalesOrder, order_id) is None:
        raise NotFoundError(f"order {order_id} not found")
    ids = session.exec(
        select(Shipment.id).where(Shipment.order_id == order_id).order_by(col(Shipment.id))
    ).all()
    return [shipment_public(engine, i) for i in ids if i is not None]


@router.get("/orders/{order_id}", response_model=OrderDetail)
def get_order(order_id: RowId, session: SessionDep) -> OrderDetail:
    order = session.get(SalesOrder, order_id)
    if order is None:
        raise NotFoundError(f"order {order_id} not found")
    lines = session.exec(
        select(OrderLine).where(OrderLine.order_id == order_id).order_by(col(OrderLine.id))
    ).all()
    return OrderDetail(
        **OrderPublic.model_validate(order, from_attributes=True).model_dump(),
        buyer_email=order.buyer_email,
        ship_to=order.ship_to,
        ecomdash_carrier_id=order.ecomdash_carrier_id,
        lines=[OrderLinePublic.model_validate(li, from_attributes=True) for li in lines],
    )
