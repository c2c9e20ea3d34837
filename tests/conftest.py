import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import stamina
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from feed.app import create_app
from feed.db import make_engine
from feed.ecomdash.sandbox.app import SandboxTransport, create_sandbox_app
from feed.ecomdash.sandbox.faults import Faults
from feed.ecomdash.sandbox.seed import DEMO_ECD_KEY, DEMO_PORTAL_KEY, load_demo
from feed.ecomdash.sandbox.state import SandboxState
from feed.migrate import upgrade
from feed.settings import Settings

ADMIN_TOKEN = "test-admin-token-0123456789"
SECRET_KEY = "8Hh0Hvm7m0mbm4bYgZC2R1nZqDBgDhcx1AYbAqj0E2A="
POSTGRES_URL = os.environ.get("FEED_TEST_POSTGRES_URL")

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(
                not POSTGRES_URL and not os.environ.get("FEED_REQUIRE_POSTGRES"),
                reason="FEED_TEST_POSTGRES_URL is not set",
            ),
        ],
    ),
]


def _reset_postgres(url: str) -> Engine:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return engine


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    if request.param == "postgres":
        if not POSTGRES_URL:
            pytest.fail("FEED_REQUIRE_POSTGRES is set but FEED_TEST_POSTGRES_URL is not")
        engine = _reset_postgres(POSTGRES_URL)
    else:
        path = tmp_path_factory.mktemp("db") / "feed.db"
        engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    yield migrated_engine
    with migrated_engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def settings(engine: Engine, data_dir: Path) -> Settings:
    return Settings(
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        ADMIN_TOKEN=ADMIN_TOKEN,
        SECRET_KEY=SECRET_KEY,
        DATA_DIR=data_dir,
        PUBLIC_BASE_URL="http://feeds.test",
        AUTO_MIGRATE=False,
        FEED_AUTOBUILD=False,
        SCHEDULER=False,
        # The sandbox is in-process: no reason to pace calls to ecomdash's real budget.
        ECOMDASH_CALLS_PER_MINUTE=1e9,
        ECOMDASH_BURST=1e9,
        ECOMDASH_CONCURRENCY=3,
    )


@pytest.fixture(autouse=True)
def instant_retries():
    """ecomdash retries keep their attempt counts but do not sleep."""
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture
def sandbox_state() -> SandboxState:
    state = SandboxState(portal_keys={DEMO_PORTAL_KEY})
    # Functional tests are not about ecomdash's 120 calls/minute; the throttling tests set it.
    load_demo(state).set_faults(Faults(calls_per_minute=1_000_000))
    return state


@pytest.fixture
def sandbox_app(sandbox_state):
    return create_sandbox_app(sandbox_state)


@pytest.fixture
def account(sandbox_state):
    return sandbox_state.accounts[DEMO_ECD_KEY]


@pytest.fixture
def app(settings: Settings, engine: Engine, sandbox_app):
    return create_app(settings, engine, ecomdash_transport=SandboxTransport(app=sandbox_app))


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as c:
        yield c


@pytest.fixture
def anonymous(app) -> Iterator[TestClient]:
    # A plain fetch, as a feed consumer that does not ask for gzip makes it.
    with TestClient(app, headers={"Accept-Encoding": "identity"}) as c:
        yield c
