"""The `feed` command: serve (optionally as a self-contained demo), import, export, migrate."""

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from feed.app import ConfigurationError, check_settings, create_app
from feed.catalog.importer import csv_records, import_listings, json_records
from feed.channels import feed_token
from feed.crypto import SecretBox, generate_key
from feed.db import make_engine
from feed.demo import (
    DEMO_IMPORT_INTERVAL,
    DEMO_KEY_FILE,
    demo_settings,
    load_demo_channel,
)
from feed.ecomdash.sandbox.app import create_sandbox_app
from feed.ecomdash.sandbox.seed import DEMO_ECD_KEY, DEMO_PORTAL_KEY, load_demo
from feed.ecomdash.sandbox.state import SandboxState
from feed.errors import ImportRejectedError
from feed.export.snapshot import build_snapshot
from feed.logs import configure_logging
from feed.migrate import upgrade
from feed.models import Channel
from feed.settings import Settings

app = typer.Typer(
    help="ecomdash-feed: publish a catalog to ecomdash and keep it in sync.", no_args_is_help=True
)
console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


def _engine(settings: Settings) -> Engine:
    engine = make_engine(settings.DATABASE_URL)
    upgrade(engine)
    return engine


def _box(settings: Settings) -> SecretBox:
    key = settings.SECRET_KEY
    demo_key = settings.DATA_DIR / DEMO_KEY_FILE
    if not key and demo_key.exists():  # commands next to a `feed serve --demo`
        key = demo_key.read_text().strip()
    if not key:
        raise _fail("FEED_SECRET_KEY is not set (generate one with `feed keygen`)")
    return SecretBox(key)


def _channel(session: Session, name: str) -> Channel:
    channel = session.exec(select(Channel).where(Channel.name == name)).first()
    if channel is None:
        raise _fail(f"no channel named {name!r}")
    return channel


class _ProgressReader:
    """Iterates a binary file by line while advancing a progress bar by bytes read."""

    def __init__(self, f: BinaryIO, progress: Progress, task: int) -> None:
        self._f, self._progress, self._task = f, progress, task

    def __iter__(self) -> Iterator[bytes]:
        for line in self._f:
            self._progress.advance(self._task, len(line))
            yield line


def _print_rejection(exc: ImportRejectedError) -> None:
    table = Table("row", "column", "message", title=f"{len(exc.errors)} problem(s); nothing stored")
    for e in exc.errors[:50]:
        table.add_row(
            str(e["row"] if e["row"] is not None else ""), e["column"] or "", e["message"]
        )
    console.print(table)


def _import_file(engine: Engine, channel_id: int, path: Path, max_errors: int) -> None:
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    ]
    with path.open("rb") as f, Progress(*columns, console=console) as progress:
        task = progress.add_task(f"importing {path.name}", total=path.stat().st_size)
        if path.suffix.lower() == ".json":
            records = json_records(f.read())
            progress.update(task, completed=path.stat().st_size)
        else:
            records = csv_records(_ProgressReader(f, progress, task))  # type: ignore[arg-type]
        result = import_listings(engine, channel_id, records, max_errors=max_errors)
    console.print(
        f"imported {result.received} listings: {result.created} created, {result.updated} updated"
    )


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    channel: Annotated[str, typer.Option("--channel", "-c", help="channel name")],
) -> None:
    """Upsert listings from a CSV or JSON file, all or nothing."""
    settings = Settings()
    engine = _engine(settings)
    with Session(engine) as session:
        channel_id = _channel(session, channel).id
    assert channel_id is not None
    try:
        _import_file(engine, channel_id, file, settings.MAX_IMPORT_ERRORS)
    except ImportRejectedError as exc:
        _print_rejection(exc)
        raise typer.Exit(code=1) from None
    build_snapshot(
        engine,
        channel_id,
        settings.DATA_DIR,
        settings.FEED_GZIP_LEVEL,
        processes=settings.FEED_BUILD_PROCESSES,
    )


def _links(settings: Settings, token: str) -> list[str]:
    base = f"{settings.PUBLIC_BASE_URL.rstrip('/')}/feeds/{token}"
    return [f"{base}.csv", f"{base}.json"]


@app.command("export")
def export_command(
    channel: Annotated[str, typer.Option("--channel", "-c", help="channel name")],
) -> None:
    """Build a channel's feed now and print its links."""
    settings = Settings()
    engine = _engine(settings)
    box = _box(settings)
    with Session(engine) as session:
        ch = _channel(session, channel)
        assert ch.id is not None
        build_snapshot(
            engine,
            ch.id,
            settings.DATA_DIR,
            settings.FEED_GZIP_LEVEL,
            processes=settings.FEED_BUILD_PROCESSES,
        )
        for link in _links(settings, feed_token(box, ch)):
            typer.echo(link)


@app.command("run")
def run_command(
    operation: Annotated[
        str, typer.Argument(help="link-listings | sync-listings | publish-listings")
    ],
    channel: Annotated[str, typer.Option("--channel", "-c", help="channel name")],
    full: Annotated[bool, typer.Option(help="sync-listings: resend every linked listing")] = False,
) -> None:
    """Run an operation for a channel now, with a progress bar and a summary."""
    import asyncio

    from feed.ecomdash.client import EcomdashClient
    from feed.operations import OPERATIONS
    from feed.operations.runs import RunConflictError, channel_client_options, execute, start_run

    if operation not in OPERATIONS:
        raise _fail(f"unknown operation {operation!r}; one of {', '.join(OPERATIONS)}")
    settings = Settings()
    engine = _engine(settings)
    box = _box(settings)
    with Session(engine) as session:
        channel_id = _channel(session, channel).id
    assert channel_id is not None
    try:
        run_id = start_run(
            engine,
            channel_id,
            operation,
            "cli",
            {"full": True} if full else {},
            lease_seconds=settings.RUN_LEASE_SECONDS,
        )
    except RunConflictError as exc:
        raise _fail(f"{exc.detail['message']} (run {exc.detail['run_id']})") from None

    async def go() -> str:
        columns = [
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
        ]
        async with EcomdashClient(**channel_client_options(engine, box, channel_id)) as client:
            with Progress(*columns, console=console) as progress:
                task = progress.add_task(operation, total=None)

                def show(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                return await execute(
                    engine,
                    run_id,
                    OPERATIONS[operation],
                    client,
                    on_progress=show,
                    data_dir=settings.DATA_DIR,
                    gzip_level=settings.FEED_GZIP_LEVEL,
                )

    state = asyncio.run(go())
    with Session(engine) as session:
        from feed.models import Run, RunError

        run = session.get(Run, run_id)
        assert run is not None
        errors = session.exec(select(RunError).where(RunError.run_id == run_id).limit(20)).all()
    counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items())) or "nothing to do"
    console.print(f"run {run_id} {state}: {counts}; {run.api_calls} ecomdash calls")
    for e in errors:
        console.print(f"  {e.sku or '-'}: {e.message}")
    if run.error:
        console.print(f"[red]{run.error}[/red]")
    if state == "failed":
        raise typer.Exit(code=1)


@app.command("migrate")
def migrate_command() -> None:
    """Upgrade the database schema to the latest revision."""
    settings = Settings()
    upgrade(make_engine(settings.DATABASE_URL))
    console.print("database is at the latest revision")


@app.command("keygen")
def keygen_command() -> None:
    """Print a new key for FEED_SECRET_KEY."""
    typer.echo(generate_key())


@app.command("serve")
def serve_command(
    demo: Annotated[
        bool, typer.Option(help="load the sample catalog into a 'demo' channel")
    ] = False,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    scheduler: Annotated[
        bool, typer.Option(help="run scheduled operations here (off: API-only replica)")
    ] = True,
) -> None:
    """Run the HTTP service."""
    import uvicorn

    settings = Settings()
    if not scheduler:
        settings = settings.model_copy(update={"SCHEDULER": False})
    if "PUBLIC_BASE_URL" not in settings.model_fields_set:
        settings = settings.model_copy(update={"PUBLIC_BASE_URL": f"http://{host}:{port}"})
    configure_logging(settings.LOG_LEVEL, settings.LOG_JSON)
    if demo:
        settings = demo_settings(settings)
    try:
        check_settings(settings)
    except ConfigurationError as exc:
        raise _fail(str(exc)) from None
    engine = _engine(settings)
    sandbox = None
    if demo:
        channel = load_demo_channel(settings, engine, _import_file)
        box = SecretBox(settings.SECRET_KEY or "")
        links = _links(settings, feed_token(box, channel))
        state = SandboxState(portal_keys={DEMO_PORTAL_KEY})
        account = load_demo(state)
        # As a merchant would: paste the CSV link into an integrated import format.
        account.feed_url, account.feed_interval = links[0], DEMO_IMPORT_INTERVAL
        sandbox = create_sandbox_app(state)
        base = settings.PUBLIC_BASE_URL.rstrip("/")
        console.print(f"[bold]admin token:[/bold] {settings.ADMIN_TOKEN}")
        console.print(f"[bold]API docs:[/bold]    {base}/docs")
        for link in links:
            console.print(f"[bold]demo feed:[/bold]   {link}")
        console.print(
            f"[bold]sandbox:[/bold]     {base}/sandbox/api (the ecomdash stand-in; it pulls the "
            f"demo feed every {DEMO_IMPORT_INTERVAL:.0f} s: "
            f"{base}/sandbox/_sandbox/accounts/{DEMO_ECD_KEY}/products)"
        )
    uvicorn.run(
        create_app(settings, engine, sandbox=sandbox), host=host, port=port, log_config=None
    )


@app.command("worker")
def worker_command() -> None:
    """Run only the scheduler: claim due operations and run them (no HTTP)."""
    import asyncio

    from feed.ecomdash.registry import ClientRegistry
    from feed.scheduler import run_scheduler

    settings = Settings()
    configure_logging(settings.LOG_LEVEL, settings.LOG_JSON)
    engine = _engine(settings)
    box = _box(settings)

    async def go() -> None:
        registry = ClientRegistry(
            calls_per_minute=settings.ECOMDASH_CALLS_PER_MINUTE,
            burst=settings.ECOMDASH_BURST,
            concurrency=settings.ECOMDASH_CONCURRENCY,
        )
        tasks: set[asyncio.Task[None]] = set()
        console.print("worker: running scheduled operations (Ctrl+C to stop)")
        try:
            await run_scheduler(
                engine, registry, box, settings, tasks, poll=settings.SCHEDULER_POLL
            )
        finally:
            await registry.aclose()

    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        console.print("worker stopped")


@app.command("sandbox")
def sandbox_command(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 9000,
) -> None:
    """Run the ecomdash sandbox on its own, seeded with the demo company."""
    import uvicorn

    state = SandboxState(portal_keys={DEMO_PORTAL_KEY})
    load_demo(state)
    console.print(f"[bold]base URL:[/bold]                  http://{host}:{port}/api")
    console.print(f"[bold]ecd-subscription-key:[/bold]      {DEMO_ECD_KEY}")
    console.print(f"[bold]Ocp-Apim-Subscription-Key:[/bold] {DEMO_PORTAL_KEY}")
    uvicorn.run(create_sandbox_app(state), host=host, port=port, log_level="info")
