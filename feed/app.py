"""The application factory; its lifespan owns the engine and the background feed builder."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from feed import __version__
from feed.api import api_router
from feed.api.body_limit import BodyLimit
from feed.api.feeds import FeedLookupCache
from feed.api.feeds import router as feeds_router
from feed.api.health import router as health_router
from feed.api.status import router as status_router
from feed.crypto import SecretBox
from feed.db import make_engine
from feed.ecomdash.registry import ClientRegistry
from feed.ecomdash.sandbox.app import poll_feeds
from feed.errors import install_error_handlers
from feed.export.builder import run_builder
from feed.export.fetchlog import FetchLog
from feed.metrics import Metrics, MetricsMiddleware
from feed.migrate import upgrade
from feed.scheduler import run_scheduler
from feed.settings import Settings

logger = logging.getLogger(__name__)

FETCH_LOG_FLUSH_SECONDS = 1.0


class ConfigurationError(RuntimeError):
    """The service cannot start with these settings."""


def check_settings(settings: Settings) -> None:
    if not settings.ADMIN_TOKEN:
        raise ConfigurationError("FEED_ADMIN_TOKEN is not set; refusing to start without one")
    if len(settings.ADMIN_TOKEN) < 16:
        raise ConfigurationError("FEED_ADMIN_TOKEN must be at least 16 characters")
    if not settings.SECRET_KEY:
        raise ConfigurationError("FEED_SECRET_KEY is not set (generate one with `feed keygen`)")


async def _flush_fetch_log(fetch_log: FetchLog, engine: Engine) -> None:
    while True:
        await asyncio.sleep(FETCH_LOG_FLUSH_SECONDS)
        try:
            await anyio.to_thread.run_sync(fetch_log.flush, engine)
        except Exception:
            logger.exception("feed.fetch_log.flush_failed")


def create_app(
    settings: Settings,
    engine: Engine | None = None,
    *,
    sandbox: FastAPI | None = None,
    ecomdash_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The service; ``sandbox`` (the demo's ecomdash stand-in) is mounted at /sandbox.

    ``ecomdash_transport`` routes every ecomdash client elsewhere (tests: into a sandbox).
    """
    check_settings(settings)
    assert settings.SECRET_KEY is not None
    secret_box = SecretBox(settings.SECRET_KEY)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_engine = engine is None
        app.state.engine = engine or make_engine(settings.DATABASE_URL)
        if settings.AUTO_MIGRATE:
            await anyio.to_thread.run_sync(upgrade, app.state.engine)
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        tasks = [asyncio.create_task(_flush_fetch_log(app.state.fetch_log, app.state.engine))]
        if sandbox is not None:
            # Mounted apps get no lifespan of their own: run the sandbox's feed poller here.
            tasks.append(asyncio.create_task(poll_feeds(sandbox)))
        if settings.SCHEDULER:
            tasks.append(
                asyncio.create_task(
                    run_scheduler(
                        app.state.engine,
                        app.state.ecomdash,
                        secret_box,
                        settings,
                        app.state.run_tasks,
                        poll=settings.SCHEDULER_POLL,
                    )
                )
            )
        if settings.FEED_AUTOBUILD:
            tasks.append(
                asyncio.create_task(
                    run_builder(
                        app.state.engine,
                        settings.DATA_DIR,
                        gzip_level=settings.FEED_GZIP_LEVEL,
                        debounce=settings.FEED_BUILD_DEBOUNCE,
                        max_delay=settings.FEED_BUILD_MAX_DELAY,
                        poll=settings.FEED_BUILD_POLL,
                        on_built=app.state.feed_cache.clear,
                        processes=settings.FEED_BUILD_PROCESSES,
                    )
                )
            )
        try:
            yield
        finally:
            # Runs still going are cancelled; their lease expires and the next start
            # marks them abandoned (the operations are safe to re-run).
            tasks += list(app.state.run_tasks)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await app.state.ecomdash.aclose()
            app.state.fetch_log.flush(app.state.engine)
            if own_engine:
                app.state.engine.dispose()

    app = FastAPI(
        title="ecomdash-feed",
        version=__version__,
        summary="Publishes a merchant's catalog to ecomdash and keeps listings and orders in sync.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.secret_box = secret_box
    app.state.fetch_log = FetchLog(settings.FEED_FETCH_LOG_SIZE)
    app.state.feed_cache = FeedLookupCache(settings.FEED_LOOKUP_CACHE_SECONDS)
    app.state.metrics = metrics = Metrics(lambda: app.state.engine)
    app.state.ecomdash = ClientRegistry(
        ecomdash_transport,
        observer=metrics,
        calls_per_minute=settings.ECOMDASH_CALLS_PER_MINUTE,
        burst=settings.ECOMDASH_BURST,
        concurrency=settings.ECOMDASH_CONCURRENCY,
    )
    app.state.run_tasks = set()
    metrics.throttle_wait.set_function(app.state.ecomdash.throttle_wait_seconds)
    app.add_middleware(BodyLimit, limit=settings.MAX_BODY_BYTES)  # type: ignore[arg-type]
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # type: ignore[arg-type]
    install_error_handlers(app)
    app.include_router(api_router)
    app.include_router(feeds_router)
    app.include_router(health_router)
    app.include_router(status_router)
    if sandbox is not None:
        app.mount("/sandbox", sandbox)
    return app
