"""Alembic environment: runs on the connection feed.migrate hands over, or FEED_DATABASE_URL."""

from alembic import context
from sqlmodel import SQLModel

import feed.models
import feed.orders_models
import feed.schedules  # noqa: F401
from feed.db import make_engine
from feed.settings import Settings

target_metadata = SQLModel.metadata


def run_migrations(connection):  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = make_engine(Settings().DATABASE_URL)
    with engine.begin() as conn:
        run_migrations(conn)
    engine.dispose()
