"""CSV feed build for a large channel, next to the sqlite3 CLI exporting the same columns.

    python bench/export_bench.py --rows 1000000

Loads N synthetic listings into a SQLite database (setup, not timed), then times, each in a
fresh child process so peak RSS is the build's own:
  - our CSV snapshot build (stream -> csv -> file + gzip + sha256, fsync, rename),
  - `sqlite3 -csv` running the very SELECT our template compiles to, writing to a file,
  - our JSON snapshot build.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "sample_data"))

OUT = ROOT / "bench" / "out"
KEY = "8Hh0Hvm7m0mbm4bYgZC2R1nZqDBgDhcx1AYbAqj0E2A="


def setup(db: Path, rows: int) -> None:
    from generate import HEADERS, products
    from sqlmodel import Session

    from feed.catalog.fields import DEFAULTS, header_target, parse_images, parse_money
    from feed.catalog.offers import refresh_offers
    from feed.channels import create_channel
    from feed.crypto import SecretBox
    from feed.db import make_engine, utcnow
    from feed.export.builder import request_rebuild
    from feed.migrate import upgrade
    from feed.models import Listing
    from feed.schemas import ChannelCreate

    db.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    with Session(engine) as session:
        channel = create_channel(
            session, SecretBox(KEY), ChannelCreate(name="bench", ecd_subscription_key="k")
        )
    targets = [header_target(h) for h in HEADERS]
    now = utcnow()
    started = time.perf_counter()
    table = Listing.__table__
    with engine.begin() as conn:
        batch = []
        for cells in products(rows, seed=11, rich_text=False):
            values = dict(DEFAULTS)
            attributes = {}
            for target, header, cell in zip(targets, HEADERS, cells, strict=True):
                if target is None:
                    attributes[header] = cell
                elif target in ("cost", "price", "msrp", "map_price"):
                    values[target] = parse_money(cell)
                elif target == "images":
                    values[target] = parse_images(cell)
                elif target == "quantity":
                    values[target] = int(cell)
                elif target == "weight":
                    values[target] = float(cell)
                elif target == "is_discontinued":
                    values[target] = cell == "yes"
                else:
                    values[target] = cell or None
            values.update(
                attributes=attributes, channel_id=channel.id, created_at=now, updated_at=now
            )
            batch.append(values)
            if len(batch) == 20_000:
                conn.execute(table.insert(), batch)
                batch.clear()
        if batch:
            conn.execute(table.insert(), batch)
        refresh_offers(conn, channel.id)  # as an import does: the feed shows the offer
        request_rebuild(conn, channel.id)
    with engine.connect() as conn:
        # Fold the WAL into the main file so both exporters read the same plain database.
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"setup: {rows:,} listings loaded in {time.perf_counter() - started:.1f}s")


def child(kind: str, db: Path) -> None:
    from sqlalchemy import select

    from feed.db import make_engine
    from feed.export.files import build_file
    from feed.export.snapshot import _csv_file, json_producer
    from feed.models import Channel

    engine = make_engine(f"sqlite:///{db}")
    directory = OUT / "feeds"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    with engine.connect() as conn, conn.begin():
        channel = conn.execute(select(Channel.__table__)).first()
        started = time.perf_counter()
        if kind == "json":
            built = build_file(directory, kind, 6, json_producer(conn, channel))
        else:  # "csv" in this process, "csv2" with two worker processes
            built = _csv_file(conn, channel, directory, 6, 2 if kind == "csv2" else 1)
        seconds = time.perf_counter() - started
    # The largest of this process and its worker processes.
    rss_mb = (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024
    )
    print(f"{seconds} {rss_mb} {built.rows} {built.size} {built.gzip_size}")


def compiled_sql(db: Path) -> str:
    from sqlalchemy import select

    from feed.db import make_engine
    from feed.export.query import csv_select
    from feed.export.template import DEFAULT_TEMPLATE
    from feed.models import Channel

    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        channel_id = conn.execute(select(Channel.__table__.c.id)).scalar_one()
    stmt = csv_select(list(DEFAULT_TEMPLATE), channel_id)
    return str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))


def run(argv: list[str], stdout: Any) -> tuple[float, float, str]:
    """Runs one child; returns its wall seconds, its own peak RSS in MB, and its output."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{argv[0]} failed ({status})")
    out = proc.stdout.read() if proc.stdout else ""
    return seconds, usage.ru_maxrss / 1024, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep an existing database")
    parser.add_argument("--child", choices=["csv", "csv2", "json"])
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sql", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / f"bench-{args.rows}.db"
    if args.child:
        child(args.child, db)
        return
    if args.setup:
        setup(db, args.rows)
        return
    if args.sql:
        print(compiled_sql(db))
        return
    if not (args.reuse and db.exists()):
        # In its own process: Linux carries a parent's peak RSS into the children it forks,
        # which would inflate the figures measured below.
        subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--setup"], check=True)

    # The measuring parent stays small (no SQLAlchemy loaded): Linux carries a parent's peak
    # RSS into the processes it starts.
    sql = subprocess.run(
        [sys.executable, __file__, "--rows", str(args.rows), "--sql"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    cli_out = OUT / "sqlite3.csv"
    with cli_out.open("w") as sink:
        cli_seconds, cli_rss, _ = run(["sqlite3", "-csv", "-header", str(db), sql], sink)
    me = [sys.executable, __file__, "--rows", str(args.rows), "--child"]
    results = [
        (
            "sqlite3 -csv (same SELECT)",
            cli_seconds,
            cli_rss,
            f"{cli_out.stat().st_size / 1e6:.0f} MB",
        )
    ]
    labels = {
        "csv2": "feed CSV snapshot, 2 procs",
        "csv": "feed CSV snapshot, 1 proc",
        "json": "feed JSON snapshot",
    }
    for kind, label in labels.items():
        _, _, out = run([*me, kind], subprocess.PIPE)
        seconds, rss, _rows, size, gz = out.split()
        results.append(
            (
                label,
                float(seconds),
                float(rss),
                f"{int(size) / 1e6:.0f} MB + gzip {int(gz) / 1e6:.0f} MB",
            )
        )

    print(f"\n{args.rows:,} listings, default template")
    print(f"{'':28} {'seconds':>8} {'peak RSS MB':>12}  output")
    for label, seconds, rss, detail in results:
        print(f"{label:28} {seconds:8.2f} {rss:12.0f}  {detail}")
    print(
        f"\nfeed CSV snapshot (2 processes, the default) / sqlite3 CLI = "
        f"{results[1][1] / results[0][1]:.2f}x"
    )
    print(f"feed CSV snapshot (1 process) / sqlite3 CLI = {results[2][1] / results[0][1]:.2f}x")


if __name__ == "__main__":
    main()
