"""Service configuration, read from the environment with the ``FEED_`` prefix."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ECOMDASH_BASE_URL = "https://ecomdash.azure-api.net/api"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FEED_", extra="ignore")

    DATABASE_URL: str = "sqlite:///./feed.db"
    ADMIN_TOKEN: str | None = None
    # Fernet key(s), comma-separated, newest first, so keys can be rotated.
    SECRET_KEY: str | None = None
    PUBLIC_BASE_URL: str = "http://127.0.0.1:8000"
    DATA_DIR: Path = Path("./feed-data")
    AUTO_MIGRATE: bool = True
    # Run scheduled operations in this process (off for API-only replicas).
    SCHEDULER: bool = True
    SCHEDULER_POLL: float = Field(default=5.0, gt=0)

    # Feed snapshots: rebuild after changes settle for DEBOUNCE seconds, but no later
    # than MAX_DELAY seconds after the first pending change.
    FEED_AUTOBUILD: bool = True
    FEED_BUILD_DEBOUNCE: float = Field(default=2.0, ge=0)
    FEED_BUILD_MAX_DELAY: float = Field(default=30.0, ge=0)
    FEED_BUILD_POLL: float = Field(default=0.5, gt=0)
    FEED_GZIP_LEVEL: int = Field(default=6, ge=1, le=9)
    # Processes that write a large SQLite CSV feed, one SKU range each (1 = in the builder).
    FEED_BUILD_PROCESSES: int = Field(default=2, ge=1, le=16)
    # Default grace period during which a rotated feed token keeps working.
    FEED_TOKEN_GRACE_SECONDS: int = Field(default=0, ge=0)
    FEED_FETCH_LOG_SIZE: int = Field(default=100, ge=1)
    # How long a feed link's snapshot lookup is reused; changes from other replicas show
    # within this time. 0 looks every request up.
    FEED_LOOKUP_CACHE_SECONDS: float = Field(default=1.0, ge=0)

    # Our share of each ecomdash account's 120 calls/minute (shared by every app using it),
    # the burst allowed, and concurrent calls per operation (ecomdash allows 3).
    ECOMDASH_CALLS_PER_MINUTE: float = Field(default=110, gt=0)
    ECOMDASH_BURST: float = Field(default=5, ge=1)
    ECOMDASH_CONCURRENCY: int = Field(default=2, ge=1, le=3)

    # A run whose process stopped beating for this long is abandoned and may be started again.
    RUN_LEASE_SECONDS: float = Field(default=300, ge=5)
    MAX_IMPORT_BYTES: int = Field(default=200 * 1024 * 1024, gt=0)
    # Every other admin API body (channels, mappings, shipments, ...) is small JSON.
    MAX_BODY_BYTES: int = Field(default=1024 * 1024, gt=0)
    MAX_IMPORT_ERRORS: int = Field(default=1000, gt=0)
    LOG_LEVEL: str = "INFO"
    LOG_JSON: bool = False


@lru_cache
def get_settings() -> Settings:
    return Settings()
