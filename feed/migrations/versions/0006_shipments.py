"""shipments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 02:11:37.787442
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import feed.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("tracking_number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("shipped_at", feed.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("suppress_tracking", sa.Boolean(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("ecomdash_shipment_id", sa.BigInteger(), nullable=True),
        sa.Column("ecomdash_item_ids", sa.JSON(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", feed.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", feed.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["order_id"], ["sales_order.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipment_channel_id"), ["channel_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipment_order_id"), ["order_id"], unique=False)

    op.create_table(
        "shipment_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["order_line_id"], ["order_line.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["shipment_id"], ["shipment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("shipment_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipment_line_shipment_id"), ["shipment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("shipment_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_line_shipment_id"))

    op.drop_table("shipment_line")
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_order_id"))
        batch_op.drop_index(batch_op.f("ix_shipment_channel_id"))

    op.drop_table("shipment")
