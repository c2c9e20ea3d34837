"""Feed serving over real HTTP: conditional-GET (304) throughput and full-feed transfer rate.

    python bench/http_bench.py --rows 145000     # about a 50 MB CSV feed

Starts `feed serve` (uvicorn, one worker) on loopback against a benchmark database, then
drives it with wrk (Debian package; httpx from this process when wrk is missing) for N
concurrent clients revalidating with If-None-Match, and with curl for repeated full
downloads, plain and gzip. Every load is bounded in requests or seconds.
"""

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from export_bench import KEY, OUT, setup  # noqa: E402

ADMIN = "bench-admin-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def revalidate(url: str, etag: str, clients: int, total: int) -> tuple[float, int]:
    per_client = total // clients
    statuses: list[int] = []

    async def worker(client: httpx.AsyncClient) -> None:
        for _ in range(per_client):
            r = await client.get(url, headers={"If-None-Match": etag})
            statuses.append(r.status_code)

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        seconds = time.perf_counter() - started
    return len(statuses) / seconds, sum(s != 304 for s in statuses)


def revalidate_wrk(url: str, etag: str, clients: int, seconds: int) -> tuple[float, str]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"If-None-Match: {etag}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+(\S+)", out).group(1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, f"p99 {p99}, {bad.group(1) if bad else 0} non-2xx/3xx"


def download_curl(url: str, times: int, encoding: str) -> tuple[float, int]:
    speeds, size = [], 0
    for _ in range(times):
        out = subprocess.run(
            [
                "curl",
                "-sS",
                "-o",
                "/dev/null",
                "-H",
                f"Accept-Encoding: {encoding}",
                "-w",
                "%{speed_download} %{size_download}",
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        speeds.append(float(out[0]))
        size = int(out[1])
    return sorted(speeds)[len(speeds) // 2] / 1e6, size


def download(url: str, times: int, encoding: str) -> tuple[float, int]:
    transferred = 0
    with httpx.Client(timeout=60) as client:
        started = time.perf_counter()
        for _ in range(times):
            with client.stream("GET", url, headers={"Accept-Encoding": encoding}) as r:
                for chunk in r.iter_raw(1 << 20):
                    transferred += len(chunk)
        seconds = time.perf_counter() - started
    return transferred / seconds / 1e6, transferred // times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=145_000)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / f"bench-{args.rows}.db"
    if not db.exists():
        setup(db, args.rows)
    port = free_port()
    env = os.environ | {
        "FEED_DATABASE_URL": f"sqlite:///{db}",
        "FEED_ADMIN_TOKEN": ADMIN,
        "FEED_SECRET_KEY": KEY,
        "FEED_DATA_DIR": str(OUT / "http-data"),
        "FEED_LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "-m", "feed", "export", "--channel", "bench"],
        env=env,
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "feed", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {ADMIN}"}
        for _ in range(100):
            try:
                status = httpx.get(f"{base}/api/v1/channels/1/export", headers=headers).json()
                break
            except httpx.TransportError:
                time.sleep(0.1)
        url = status["csv_url"].replace("http://127.0.0.1:8000", base)
        url = url.replace(f"http://127.0.0.1:{port}", base)
        etag = f'"{status["formats"]["csv"]["etag"]}"'
        size = status["formats"]["csv"]["size"]
        if shutil.which("wrk"):
            tool = "wrk"
            rate, detail = revalidate_wrk(url, etag, args.clients, 10)
        else:
            tool = "httpx"
            rate, errors = asyncio.run(revalidate(url, etag, args.clients, args.requests))
            detail = f"{errors} non-304"
        fetch = download_curl if shutil.which("curl") else download
        plain_mb_s, plain_bytes = fetch(url, 5, "identity")
        gzip_mb_s, gzip_bytes = fetch(url, 5, "gzip")
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"feed: {args.rows:,} rows, {size / 1e6:.1f} MB CSV ({gzip_bytes / 1e6:.1f} MB gzip)")
    print(
        f"304 revalidation ({tool}): {rate:,.0f} req/s with {args.clients} concurrent "
        f"clients, {detail}"
    )
    print(
        f"full download ({fetch.__name__}), identity: {plain_mb_s:,.0f} MB/s "
        f"({plain_bytes / 1e6:.1f} MB each, median of 5)"
    )
    print(
        f"full download ({fetch.__name__}), gzip: {gzip_mb_s:,.0f} MB/s on the wire "
        f"({size / gzip_bytes * gzip_mb_s:,.0f} MB/s of feed)"
    )


if __name__ == "__main__":
    main()
