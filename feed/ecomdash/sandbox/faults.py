"""Per-account fault injection and the gateway's throttling rules."""

import asyncio
import math
import random
import time
from collections import deque
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

RATE_WINDOW_SECONDS = 60.0


class Faults(BaseModel):
    """What the sandbox does wrong on purpose, for one account."""

    latency: float = Field(default=0.0, ge=0, le=30, description="seconds added to every call")
    spike_rate: float = Field(default=0.0, ge=0, le=1, description="fraction of slow calls")
    spike_seconds: float = Field(default=5.0, ge=0, le=60, description="how slow they are")
    error_rate: float = Field(default=0.0, ge=0, le=1, description="fraction answered 500")
    drop_rate: float = Field(default=0.0, ge=0, le=1, description="fraction of dropped connections")
    malformed_rate: float = Field(default=0.0, ge=0, le=1, description="fraction of broken JSON")
    throttle_next: int = Field(default=0, ge=0, description="answer the next N calls 429")
    throttle_retry_after: int = Field(default=1, ge=0)
    calls_per_minute: int = Field(default=120, ge=1)
    concurrency_per_operation: int = Field(default=3, ge=1)
    seed: int | None = None


class DroppedConnection(Exception):
    """Raised by the sandbox to cut a connection; transports turn it into a read error."""


@dataclass
class Throttle:
    """APIM's rules: calls per minute per account, concurrent calls per operation."""

    calls: deque[float] = field(default_factory=deque)
    running: dict[str, int] = field(default_factory=dict)

    def admit(self, faults: Faults, now: float | None = None) -> int | None:
        """None if the call may proceed, else the seconds to put in Retry-After."""
        now = time.monotonic() if now is None else now
        while self.calls and now - self.calls[0] >= RATE_WINDOW_SECONDS:
            self.calls.popleft()
        if len(self.calls) >= faults.calls_per_minute:
            return max(1, math.ceil(RATE_WINDOW_SECONDS - (now - self.calls[0])))
        self.calls.append(now)
        return None


class FaultPlan:
    """Draws this call's fault from the account's settings."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.random = random.Random(faults.seed)

    def draw(self) -> str | None:
        f = self.faults
        if f.throttle_next > 0:
            f.throttle_next -= 1
            return "throttle"
        roll = self.random.random()
        for kind, rate in (
            ("error", f.error_rate),
            ("drop", f.drop_rate),
            ("malformed", f.malformed_rate),
        ):
            if roll < rate:
                return kind
            roll -= rate
        return None

    async def delay(self) -> None:
        seconds = self.faults.latency
        if self.faults.spike_rate and self.random.random() < self.faults.spike_rate:
            seconds += self.faults.spike_seconds
        if seconds:
            await asyncio.sleep(seconds)
