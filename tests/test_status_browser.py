"""The status page as an operator sees it: `feed serve --demo` rendered by headless Chromium."""

import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.environ.get("FEED_REQUIRE_CHROMIUM"):
    raise RuntimeError("FEED_REQUIRE_CHROMIUM is set but no chromium is installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine")

ADMIN_TOKEN = "status-page-admin-token-0123456789"
# Without the background-networking switches Chromium keeps dialling out, which a closed
# network refuses; none of that matters to a local page.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Table(HTMLParser):
    """The rows of the page's table as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=90,
    )


@pytest.fixture
def demo(tmp_path):
    """A `feed serve --demo` process with one get-orders run behind it (so orders are held)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEED_")}
    env["FEED_ADMIN_TOKEN"] = ADMIN_TOKEN
    log = open(tmp_path / "serve.log", "w+")  # closed in the teardown below
    process = subprocess.Popen(
        [sys.executable, "-m", "feed", "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while "Uvicorn running" not in (tmp_path / "serve.log").read_text():
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "feed serve --demo did not start in 60 s"
            time.sleep(0.2)
        orders = subprocess.run(
            [sys.executable, "-m", "feed", "run", "get-orders", "--channel", "demo"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert orders.returncode == 0, orders.stderr
        held = int(re.search(r"held (\d+)", orders.stderr).group(1))
        yield f"http://ops:{ADMIN_TOKEN}@127.0.0.1:{port}/", held
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_status_page_renders_the_demo_in_headless_chromium(demo, tmp_path):
    url, held = demo

    dom = _chromium(tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr
    table = _Table()
    table.feed(dom.stdout)
    header, *channels = table.rows
    assert header == [
        "channel",
        "feed",
        "link-listings",
        "sync-listings",
        "publish-listings",
        "get-orders",
        "sync-orders",
        "held orders",
    ]
    assert len(channels) == 1
    row = dict(zip(header, channels[0], strict=True))
    assert row["channel"] == "demo"
    assert re.fullmatch(
        r"http://127\.0\.0\.1:\d+/feeds/\*\*\*\*\.csv 300 rows, built .+ UTC", row["feed"]
    )
    assert row["get-orders"].startswith("succeeded #1")
    assert f"held {held}" in row["get-orders"]
    assert row["held orders"] == str(held)
    assert row["sync-orders"] == "–"
    assert "<title>ecomdash-feed</title>" in dom.stdout

    shot = tmp_path / "status.png"
    png = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,400", url)
    assert png.returncode == 0, png.stderr
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1280, 400)


def test_status_page_without_credentials_is_refused_in_the_browser(demo, tmp_path):
    url, _ = demo
    dom = _chromium(tmp_path, "--dump-dom", url.replace(f"ops:{ADMIN_TOKEN}@", ""))
    assert "ecomdash-feed" not in dom.stdout
    assert "demo" not in dom.stdout
