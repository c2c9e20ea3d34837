"""Real processes for the reliability suite: `feed serve` and `feed sandbox` on loopback ports,
started, SIGKILLed and restarted the way an operator's supervisor would."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import ADMIN_TOKEN, SECRET_KEY


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path, ready_url: str) -> None:
        self.args, self.env, self.log, self.ready_url = args, env, log, ready_url
        self.popen: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "Process":
        with open(self.log, "a") as log:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "feed", *self.args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.popen.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(self.ready_url, timeout=1).status_code < 500:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.args} did not start: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no cleanup, as when a machine loses power."""
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def feed_env(tmp_path: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEED_")}
    env.update(
        FEED_DATABASE_URL=database_url or f"sqlite:///{tmp_path / 'feed.db'}",
        FEED_ADMIN_TOKEN=ADMIN_TOKEN,
        FEED_SECRET_KEY=SECRET_KEY,
        FEED_DATA_DIR=str(tmp_path / "data"),
        FEED_SCHEDULER="false",
        FEED_RUN_LEASE_SECONDS="5",
        # The sandbox is on loopback: no reason to pace calls to ecomdash's real budget.
        FEED_ECOMDASH_CALLS_PER_MINUTE="1000000",
        FEED_ECOMDASH_BURST="1000",
        **extra,
    )
    return env


def feed_server(tmp_path: Path, env: dict[str, str], port: int | None = None) -> Process:
    port = port or free_port()
    env = env | {"FEED_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    return Process(
        ["serve", "--port", str(port)],
        env,
        tmp_path / "serve.log",
        f"http://127.0.0.1:{port}/healthz",
    )


def sandbox_server(tmp_path: Path) -> Process:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEED_")}
    return Process(
        ["sandbox", "--port", str(port)],
        env,
        tmp_path / "sandbox.log",
        f"http://127.0.0.1:{port}/_sandbox/requests",
    )


def base(process: Process) -> str:
    return process.ready_url.rsplit("/", 1)[0]


def admin(process: Process) -> httpx.Client:
    return httpx.Client(
        base_url=base(process) + "/api/v1",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=60,
    )
