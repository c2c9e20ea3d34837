"""channel rules, offers and sync state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 01:45:51.938526
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import feed.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rules", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "publish_via",
                sqlmodel.sql.sqltypes.AutoString(length=8),
                nullable=False,
                server_default="feed",
            )
        )
        batch_op.add_column(sa.Column("ecomdash_warehouse_id", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("offered", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("offer_price", sa.Numeric(precision=12, scale=2), nullable=True)
        )
        batch_op.add_column(
            sa.Column("offer_quantity", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("synced_quantity", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("synced_price", sa.Numeric(precision=12, scale=2), nullable=True)
        )
        batch_op.add_column(
            sa.Column("sync_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("synced_at", feed.db.UTCDateTime(timezone=True), nullable=True)
        )

    # Existing listings get the offer of the default rules: price floored at MAP, quantity as
    # is, zero when discontinued.
    op.execute(
        "UPDATE listing SET "
        "offer_price = CASE WHEN map_price IS NOT NULL AND price IS NOT NULL AND map_price > price "
        "THEN map_price ELSE price END, "
        "offer_quantity = CASE WHEN is_discontinued THEN 0 ELSE quantity END"
    )


def downgrade() -> None:
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.drop_column("synced_at")
        batch_op.drop_column("sync_error")
        batch_op.drop_column("synced_price")
        batch_op.drop_column("synced_quantity")
        batch_op.drop_column("offer_quantity")
        batch_op.drop_column("offer_price")
        batch_op.drop_column("offered")

    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.drop_column("ecomdash_warehouse_id")
        batch_op.drop_column("publish_via")
        batch_op.drop_column("rules")
