"""Prometheus metrics: counters kept by this process plus gauges read from the database.

Request counters are per process; feed snapshots and runs are read from the shared database at
scrape time, so every replica reports the same, complete picture of them.
"""

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feed.models import FeedSnapshot, Run


class DatabaseCollector(Collector):
    def __init__(self, engine: Callable[[], Engine]) -> None:
        self.engine = engine

    def collect(self) -> Any:
        snapshot = FeedSnapshot.__table__  # type: ignore[attr-defined]
        run = Run.__table__  # type: ignore[attr-defined]
        size = GaugeMetricFamily(
            "feed_snapshot_bytes", "Size of the served feed", labels=["channel", "format"]
        )
        rows = GaugeMetricFamily(
            "feed_snapshot_rows", "Rows in the served feed", labels=["channel", "format"]
        )
        seconds = GaugeMetricFamily(
            "feed_snapshot_build_seconds",
            "Duration of the last build",
            labels=["channel", "format"],
        )
        runs = GaugeMetricFamily(
            "feed_runs", "Runs recorded, by operation and state", labels=["operation", "state"]
        )
        with self.engine().connect() as conn:
            for s in conn.execute(select(snapshot)):
                labels = [str(s.channel_id), s.format]
                size.add_metric(labels, s.size)
                rows.add_metric(labels, s.rows)
                seconds.add_metric(labels, s.build_seconds)
            for r in conn.execute(
                select(run.c.operation, run.c.state, func.count()).group_by(
                    run.c.operation, run.c.state
                )
            ):
                runs.add_metric([r.operation, r.state], r[2])
        yield from (size, rows, seconds, runs)


class Metrics:
    def __init__(self, engine: Callable[[], Engine]) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "feed_http_requests",
            "HTTP requests",
            ["method", "handler", "status"],
            registry=self.registry,
        )
        self.feed_requests = Counter(
            "feed_feed_requests", "Feed link requests", ["format", "status"], registry=self.registry
        )
        self.ecomdash_calls = Counter(
            "feed_ecomdash_calls",
            "Calls to ecomdash",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.ecomdash_retries = Counter(
            "feed_ecomdash_retries",
            "Retried calls to ecomdash",
            ["operation"],
            registry=self.registry,
        )
        self.throttle_wait = Gauge(
            "feed_ecomdash_throttle_wait_seconds",
            "Seconds spent waiting for the client-side rate limiter",
            registry=self.registry,
        )
        self.registry.register(DatabaseCollector(engine))

    # CallObserver, for the ecomdash clients
    def call(self, operation: str, outcome: str) -> None:
        self.ecomdash_calls.labels(operation, outcome).inc()

    def retry(self, operation: str) -> None:
        self.ecomdash_retries.labels(operation).inc()


class MetricsMiddleware:
    """Counts requests by handler name (never the raw path: feed tokens stay out)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counting)
        finally:
            handler = getattr(scope.get("route"), "name", None) or "unmatched"
            self.metrics.http_requests.labels(scope["method"], handler, str(status)).inc()
