"""listing links and runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 01:40:43.658027
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import feed.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("operation", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("trigger", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", feed.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", feed.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", feed.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", feed.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_channel_id"), ["channel_id"], unique=False)
        batch_op.create_index(
            "uq_run_active",
            ["channel_id", "operation"],
            unique=True,
            sqlite_where=sa.text("state IN ('queued', 'running')"),
            postgresql_where=sa.text("state IN ('queued', 'running')"),
        )

    op.create_table(
        "run_error",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("run_error", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_error_run_id"), ["run_id"], unique=False)

    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ecomdash_product_id", sa.BigInteger(), nullable=True))
        # Existing listings start unlinked.
        batch_op.add_column(
            sa.Column(
                "link_state",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="unlinked",
            )
        )
        batch_op.add_column(
            sa.Column("link_method", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True)
        )
        batch_op.add_column(
            sa.Column("link_message", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("linked_at", feed.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.drop_column("linked_at")
        batch_op.drop_column("link_message")
        batch_op.drop_column("link_method")
        batch_op.drop_column("link_state")
        batch_op.drop_column("ecomdash_product_id")

    with op.batch_alter_table("run_error", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_error_run_id"))

    op.drop_table("run_error")
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_run_active",
            sqlite_where=sa.text("state IN ('queued', 'running')"),
            postgresql_where=sa.text("state IN ('queued', 'running')"),
        )
        batch_op.drop_index(batch_op.f("ix_run_channel_id"))

    op.drop_table("run")
