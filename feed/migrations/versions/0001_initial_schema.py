"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 00:58:01.857454
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import feed.db

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("ecd_subscription_key_enc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("apim_subscription_key_enc", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("application_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("base_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("export_template", sa.JSON(), nullable=True),
        sa.Column("export_bom", sa.Boolean(), nullable=False),
        sa.Column("feed_token_enc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("feed_token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "previous_token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
        sa.Column("previous_token_expires_at", feed.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("feed_generation", sa.Integer(), nullable=False),
        sa.Column("feed_built_generation", sa.Integer(), nullable=False),
        sa.Column("feed_changed_at", feed.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("feed_pending_since", feed.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("feed_last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", feed.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", feed.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_feed_token_hash"), ["feed_token_hash"], unique=True
        )
        batch_op.create_index(batch_op.f("ix_channel_name"), ["name"], unique=True)
        batch_op.create_index(
            batch_op.f("ix_channel_previous_token_hash"), ["previous_token_hash"], unique=False
        )

    op.create_table(
        "feed_fetch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("at", feed.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("format", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feed_fetch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_fetch_channel_id"), ["channel_id"], unique=False)

    op.create_table(
        "feed_snapshot",
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("format", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("gzip_file_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("etag", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("gzip_size", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("built_at", feed.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("build_seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("channel_id", "format"),
    )
    op.create_table(
        "listing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("short_description", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("brand", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("upc", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("ean", sqlmodel.sql.sqltypes.AutoString(length=13), nullable=True),
        sa.Column("gtin", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=True),
        sa.Column("isbn", sqlmodel.sql.sqltypes.AutoString(length=13), nullable=True),
        sa.Column("mpn", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("msrp", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("map_price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("weight", sa.Float(), nullable=True),
        sa.Column("condition", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("is_discontinued", sa.Boolean(), nullable=False),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.Column("supplier_sku", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("supplier_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("created_at", feed.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", feed.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "sku", name="uq_listing_channel_sku"),
    )


def downgrade() -> None:
    op.drop_table("listing")
    op.drop_table("feed_snapshot")
    with op.batch_alter_table("feed_fetch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_fetch_channel_id"))

    op.drop_table("feed_fetch")
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_previous_token_hash"))
        batch_op.drop_index(batch_op.f("ix_channel_name"))
        batch_op.drop_index(batch_op.f("ix_channel_feed_token_hash"))

    op.drop_table("channel")
