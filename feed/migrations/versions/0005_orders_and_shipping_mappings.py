"""orders and shipping mappings

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 02:08:01.538509
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import feed.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sales_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("ecomdash_order_id", sa.BigInteger(), nullable=False),
        sa.Column("storefront_type", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("storefront_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "storefront_order_number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True
        ),
        sa.Column("ecomdash_status", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("created_date", feed.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("total_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("buyer_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("buyer_email", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("ship_to", sa.JSON(), nullable=True),
        sa.Column("shipping_method", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("carrier", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("ecomdash_carrier_id", sa.BigInteger(), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("hold_reasons", sa.JSON(), nullable=False),
        sa.Column("imported_at", feed.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", feed.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "ecomdash_order_id", name="uq_order_ecomdash_id"),
    )
    with op.batch_alter_table("sales_order", schema=None) as batch_op:
        batch_op.create_index(
            "ix_order_storefront_number",
            ["channel_id", "storefront_type", "storefront_order_number"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_sales_order_channel_id"), ["channel_id"], unique=False)

    op.create_table(
        "shipping_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("method_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("carrier", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("ecomdash_carrier_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "method_key", name="uq_mapping_method"),
    )
    op.create_table(
        "order_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("ecomdash_line_id", sa.BigInteger(), nullable=True),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("product_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("listing_id", sa.Integer(), nullable=True),
        sa.Column("unknown_sku", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["listing_id"], ["listing.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["order_id"], ["sales_order.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("order_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_line_order_id"), ["order_id"], unique=False)

    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("order_statuses", sa.JSON(), nullable=False, server_default='["InProcess"]')
        )
        batch_op.add_column(
            sa.Column("order_days", sa.Integer(), nullable=False, server_default="7")
        )
        batch_op.add_column(
            sa.Column(
                "import_unknown_skus", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.drop_column("import_unknown_skus")
        batch_op.drop_column("order_days")
        batch_op.drop_column("order_statuses")

    with op.batch_alter_table("order_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_line_order_id"))

    op.drop_table("order_line")
    op.drop_table("shipping_mapping")
    with op.batch_alter_table("sales_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_order_channel_id"))
        batch_op.drop_index("ix_order_storefront_number")

    op.drop_table("sales_order")
