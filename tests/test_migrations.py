from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from feed.migrate import is_current


def test_migrations_match_the_models(migrated_engine):
    with migrated_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_database_is_at_head_after_upgrade(migrated_engine):
    assert is_current(migrated_engine)
