"""Recording shipments for imported orders, with the checks a warehouse clerk would expect."""

from collections import defaultdict
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine

from feed.errors import ConflictError, InvalidInputError, NotFoundError
from feed.orders_models import (
    OrderLine,
    SalesOrder,
    Shipment,
    ShipmentCreate,
    ShipmentLine,
    ShipmentLineIn,
    ShipmentPublic,
)

ORDER = SalesOrder.__table__  # type: ignore[attr-defined]
LINE = OrderLine.__table__  # type: ignore[attr-defined]
SHIPMENT = Shipment.__table__  # type: ignore[attr-defined]
SHIPMENT_LINE = ShipmentLine.__table__  # type: ignore[attr-defined]


def _problem(index: int | None, field: str, message: str) -> dict[str, Any]:
    loc: list[Any] = ["body", "lines", index, field] if index is not None else ["body", field]
    return {"loc": loc, "message": message}


def record_shipment(engine: Engine, order_id: int, data: ShipmentCreate) -> int:
    """Validates against the order and earlier shipments, then stores; returns the id."""
    with engine.begin() as conn:
        order = conn.execute(select(ORDER).where(ORDER.c.id == order_id)).first()
        if order is None:
            raise NotFoundError(f"order {order_id} not found")
        if order.state == "cancelled":
            raise ConflictError(f"order {order_id} is cancelled")
        problems = []
        if not data.suppress_tracking and not data.tracking_number:
            problems.append(
                _problem(None, "tracking_number", "required unless suppress_tracking is set")
            )
        if data.tracking_number:
            taken = conn.execute(
                select(SHIPMENT.c.id).where(
                    SHIPMENT.c.channel_id == order.channel_id,
                    SHIPMENT.c.tracking_number == data.tracking_number,
                )
            ).first()
            if taken is not None:
                problems.append(
                    _problem(None, "tracking_number", f"already used by shipment {taken.id}")
                )
        lines = conn.execute(select(LINE).where(LINE.c.order_id == order_id)).all()
        shipped = dict(
            conn.execute(
                select(SHIPMENT_LINE.c.order_line_id, func.sum(SHIPMENT_LINE.c.quantity))
                .join(SHIPMENT, SHIPMENT.c.id == SHIPMENT_LINE.c.shipment_id)
                .where(SHIPMENT.c.order_id == order_id)
                .group_by(SHIPMENT_LINE.c.order_line_id)
            ).all()
        )
        by_sku = defaultdict(list)
        for line in lines:
            by_sku[(line.sku or "").strip().casefold()].append(line)
        wanted: dict[int, int] = defaultdict(int)
        for index, item in enumerate(data.lines):
            candidates = by_sku.get(item.sku.strip().casefold())
            if not candidates:
                problems.append(_problem(index, "sku", f"{item.sku!r} is not on this order"))
                continue
            remaining = item.quantity
            for line in candidates:  # a SKU on several lines fills them in order
                room = line.quantity - int(shipped.get(line.id, 0)) - wanted[line.id]
                take = min(room, remaining)
                if take > 0:
                    wanted[line.id] += take
                    remaining -= take
            if remaining:
                problems.append(
                    _problem(
                        index, "quantity", f"ships {remaining} more of {item.sku!r} than is left"
                    )
                )
        if problems:
            raise InvalidInputError(problems)
        shipment_id: int = conn.execute(
            insert(SHIPMENT)
            .values(
                order_id=order_id,
                channel_id=order.channel_id,
                carrier=data.carrier or order.carrier,
                service=data.service or order.service,
                tracking_number=data.tracking_number,
                shipped_at=data.shipped_at,
                suppress_tracking=data.suppress_tracking,
                state="suppressed" if data.suppress_tracking else "pending",
                ecomdash_item_ids={},
            )
            .returning(SHIPMENT.c.id)
        ).scalar_one()
        conn.execute(
            insert(SHIPMENT_LINE),
            [
                {"shipment_id": shipment_id, "order_line_id": line_id, "quantity": quantity}
                for line_id, quantity in wanted.items()
            ],
        )
    return shipment_id


def shipment_public(engine: Engine, shipment_id: int) -> ShipmentPublic:
    with engine.connect() as conn:
        shipment = conn.execute(select(SHIPMENT).where(SHIPMENT.c.id == shipment_id)).one()
        lines = conn.execute(
            select(LINE.c.sku, SHIPMENT_LINE.c.quantity)
            .join(LINE, LINE.c.id == SHIPMENT_LINE.c.order_line_id)
            .where(SHIPMENT_LINE.c.shipment_id == shipment_id)
            .order_by(SHIPMENT_LINE.c.id)
        ).all()
    return ShipmentPublic(
        **{k: shipment._mapping[k] for k in ShipmentPublic.model_fields if k != "lines"},
        lines=[ShipmentLineIn(sku=line.sku or "", quantity=line.quantity) for line in lines],
    )
