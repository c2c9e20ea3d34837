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


def test_an_existing_database_is_upgraded_in_place(tmp_path):
    from sqlalchemy import text

    from feed.db import make_engine
    from feed.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO channel (id, name, ecd_subscription_key_enc, base_url, export_bom, "
                "feed_token_enc, feed_token_hash, feed_generation, feed_built_generation, "
                "created_at, updated_at) VALUES (1, 'old', 'x', 'https://e', 0, 't', 'h', 1, 0, "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO listing (channel_id, sku, quantity, is_discontinued, images, "
                "attributes, created_at, updated_at) VALUES (1, 'KEEP-1', 4, 0, '[]', '{}', "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )

    upgrade(engine)

    with engine.connect() as conn:
        row = conn.execute(text("SELECT sku, quantity, link_state FROM listing")).one()
    assert tuple(row) == ("KEEP-1", 4, "unlinked")
    assert is_current(engine)
    engine.dispose()
