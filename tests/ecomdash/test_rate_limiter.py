"""The client-side limiter keeps a burst under ecomdash's 120 calls/minute (fake clock)."""

import asyncio
from bisect import bisect_left

from feed.ecomdash.retry import AccountLimiter, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def busiest_minute(times: list[float]) -> int:
    return max(bisect_left(times, t + 60.0) - i for i, t in enumerate(times))


async def test_a_1000_call_burst_stays_under_120_per_minute():
    clock = FakeClock()
    limiter = AccountLimiter(calls_per_minute=110, burst=5, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(1000):
        await limiter.bucket.acquire()
        times.append(clock.now)
    assert busiest_minute(times) <= 115 < 120
    # ...and it is not needlessly slow: 1000 calls at 110/minute take about nine minutes.
    assert 540 <= clock.now <= 550


async def test_concurrent_callers_share_one_budget():
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, capacity=5, clock=clock, sleep=clock.sleep)
    times: list[float] = []

    async def caller() -> None:
        for _ in range(100):
            await bucket.acquire()
            times.append(clock.now)

    await asyncio.gather(*(caller() for _ in range(10)))
    times.sort()
    assert len(times) == 1000
    assert busiest_minute(times) <= 5 + 120


async def test_at_most_n_calls_of_one_operation_run_at_once():
    limiter = AccountLimiter(calls_per_minute=1e9, burst=1e9, concurrency=2)
    running = peak = 0

    async def call(operation: str) -> None:
        nonlocal running, peak
        async with limiter.slot(operation):
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.001)
            running -= 1

    await asyncio.gather(*(call("GET /inventory") for _ in range(12)))
    assert peak == 2
