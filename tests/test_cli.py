import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from feed.cli import app
from feed.ecomdash.sandbox.seed import DEMO_ECD_KEY, DEMO_PORTAL_KEY
from tests.conftest import SECRET_KEY

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "FEED_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "FEED_SECRET_KEY": SECRET_KEY,
        "FEED_DATA_DIR": str(tmp_path / "data"),
        "FEED_ADMIN_TOKEN": "",
    }


def _make_channel(env: dict[str, str]) -> None:
    from sqlmodel import Session

    from feed.channels import create_channel
    from feed.crypto import SecretBox
    from feed.db import make_engine
    from feed.migrate import upgrade
    from feed.schemas import ChannelCreate

    engine = make_engine(env["FEED_DATABASE_URL"])
    upgrade(engine)
    with Session(engine) as session:
        create_channel(
            session, SecretBox(SECRET_KEY), ChannelCreate(name="shop", ecd_subscription_key="k")
        )
    engine.dispose()


def test_import_loads_a_csv_and_builds_the_feed(env, tmp_path):
    _make_channel(env)
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("SKU,Name,Quantity\r\nA,Alpha,1\r\nB,Beta,2\r\n", encoding="utf-8")

    result = runner.invoke(app, ["import", str(catalog), "--channel", "shop"], env=env)

    assert result.exit_code == 0, result.output
    assert "imported 2 listings: 2 created, 0 updated" in result.output
    links = runner.invoke(app, ["export", "--channel", "shop"], env=env)
    assert links.exit_code == 0
    assert re.search(r"/feeds/[\w-]+\.csv", links.output)


def test_import_of_a_bad_file_exits_non_zero_and_names_the_row(env, tmp_path):
    _make_channel(env)
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("SKU,UPC\r\nA,036000291453\r\n", encoding="utf-8")

    result = runner.invoke(app, ["import", str(catalog), "--channel", "shop"], env=env)

    assert result.exit_code == 1
    assert "invalid check digit" in result.output
    assert "nothing stored" in result.output


def test_import_into_unknown_channel_fails_clearly(env, tmp_path):
    _make_channel(env)
    catalog = tmp_path / "c.csv"
    catalog.write_text("SKU\r\nA\r\n")
    result = runner.invoke(app, ["import", str(catalog), "--channel", "nope"], env=env)
    assert result.exit_code == 1
    assert "no channel named 'nope'" in result.output


def test_serve_refuses_to_start_without_admin_token(env):
    result = runner.invoke(app, ["serve"], env=env)
    assert result.exit_code == 1
    assert "FEED_ADMIN_TOKEN is not set" in result.output


def test_keygen_prints_a_usable_key():
    from feed.crypto import SecretBox

    result = runner.invoke(app, ["keygen"])
    SecretBox(result.output.strip()).encrypt("x")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_serves_the_sample_catalog(tmp_path):
    """`feed serve --demo` on a fresh directory: token and links printed, feed served."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEED_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "feed", "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = ""
    try:
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while "Uvicorn running" not in output and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output += line
        assert "Uvicorn running" in output, output
        token = re.search(r"admin token:\s+(\S+)", output).group(1)
        csv_url = re.search(r"demo feed:\s+(\S+\.csv)", output).group(1)

        feed = httpx.get(csv_url)
        assert feed.status_code == 200
        assert feed.headers["x-feed-rows"] == "300"
        channels = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/channels", headers={"Authorization": f"Bearer {token}"}
        )
        demo = channels.json()["data"][0]
        assert demo["name"] == "demo"
        assert demo["base_url"] == f"http://127.0.0.1:{port}/sandbox/api"
        assert (tmp_path / "feed.db").exists()

        # The demo channel's ecomdash is the mounted sandbox, which pulls the demo feed.
        keys = {"ecd-subscription-key": DEMO_ECD_KEY, "Ocp-Apim-Subscription-Key": DEMO_PORTAL_KEY}
        warehouses = httpx.get(f"{demo['base_url']}/Warehouses", headers=keys)
        assert warehouses.json()["status"] == "Success"
        products_url = f"http://127.0.0.1:{port}/sandbox/_sandbox/accounts/{DEMO_ECD_KEY}/products"
        deadline = time.monotonic() + 30
        count = 0
        while time.monotonic() < deadline:
            count = len(httpx.get(products_url).json())
            if count >= 370:
                break
            time.sleep(0.5)
        assert count == 370  # 130 seeded + 240 created from the feed (60 matched by SKU)

        # Operations from the command line, next to the running demo, against its sandbox.
        linked = subprocess.run(
            [sys.executable, "-m", "feed", "run", "link-listings", "--channel", "demo"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert linked.returncode == 0, linked.stdout + linked.stderr
        assert "linked 300" in linked.stderr  # the sandbox now has every catalog SKU
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_run_link_listings_against_a_sandbox_server(env, tmp_path):
    """`feed run` with a real HTTP round trip to `feed sandbox`."""
    from sqlmodel import Session, select

    from feed.channels import update_channel
    from feed.crypto import SecretBox
    from feed.db import make_engine
    from feed.models import Channel
    from feed.schemas import ChannelUpdate

    port = _free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "feed", "sandbox", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _make_channel(env)
        engine = make_engine(env["FEED_DATABASE_URL"])
        with Session(engine) as session:
            channel = session.exec(select(Channel)).one()
            update_channel(
                session,
                SecretBox(SECRET_KEY),
                channel,
                ChannelUpdate(
                    base_url=f"http://127.0.0.1:{port}/api",
                    ecd_subscription_key=DEMO_ECD_KEY,
                    apim_subscription_key=DEMO_PORTAL_KEY,
                ),
            )
        engine.dispose()
        catalog = tmp_path / "c.csv"
        catalog.write_text("SKU,Name\r\nAPP-000002,Beanie\r\nNOPE-1,Nothing\r\n")
        assert runner.invoke(app, ["import", str(catalog), "-c", "shop"], env=env).exit_code == 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/docs")
                break
            except httpx.TransportError:
                time.sleep(0.1)

        result = runner.invoke(app, ["run", "link-listings", "--channel", "shop"], env=env)

        assert result.exit_code == 0, result.output
        assert "succeeded: linked 1, unmatched 1" in result.output
    finally:
        sandbox.terminate()
        sandbox.communicate(timeout=10)
