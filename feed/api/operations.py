"""Triggering operations and reading their runs."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from sqlmodel import Field, Session, SQLModel, col, select

from feed.api.deps import ChannelDep, EngineDep, RowId, SecretBoxDep
from feed.db import SessionDep
from feed.ecomdash.registry import ClientRegistry
from feed.errors import NotFoundError
from feed.models import Run, RunError
from feed.operations import OPERATIONS
from feed.operations.runs import channel_client_options, execute, start_run
from feed.schemas import RunDetail, RunErrorPublic, RunPublic, RunsPublic

router = APIRouter(tags=["operations"])
OperationName = Annotated[str, Path(description=", ".join(OPERATIONS))]
MAX_ERRORS_SHOWN = 1000


class RunOptions(SQLModel):
    full: bool = Field(
        default=False, description="sync-listings: resend every linked listing, not only changes"
    )


def _public(run: Run) -> RunPublic:
    return RunPublic.model_validate(run, from_attributes=True)


@router.post(
    "/channels/{channel_id}/operations/{operation}",
    response_model=RunPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: {"description": "already running; detail.run_id names the run"}},
)
async def trigger_operation(
    request: Request,
    channel: ChannelDep,
    operation: OperationName,
    engine: EngineDep,
    box: SecretBoxDep,
    options: RunOptions | None = None,
) -> RunPublic:
    """Queues the operation and returns its run at once; poll ``GET /runs/{id}``."""
    if operation not in OPERATIONS:
        raise NotFoundError(f"unknown operation {operation!r}; one of {', '.join(OPERATIONS)}")
    assert channel.id is not None
    chosen = options.model_dump(exclude_defaults=True) if options is not None else {}
    settings = request.app.state.settings
    run_id = start_run(
        engine, channel.id, operation, "api", chosen, lease_seconds=settings.RUN_LEASE_SECONDS
    )
    registry: ClientRegistry = request.app.state.ecomdash
    client = await registry.client(channel.id, **channel_client_options(engine, box, channel.id))
    tasks: set[asyncio.Task[Any]] = request.app.state.run_tasks
    task = asyncio.create_task(
        execute(
            engine,
            run_id,
            OPERATIONS[operation],
            client,
            data_dir=settings.DATA_DIR,
            gzip_level=settings.FEED_GZIP_LEVEL,
        )
    )
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    with Session(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        return _public(run)


@router.get("/runs/{run_id}", response_model=RunDetail)
def get_run(run_id: RowId, session: SessionDep) -> RunDetail:
    run = session.get(Run, run_id)
    if run is None:
        raise NotFoundError(f"run {run_id} not found")
    errors = session.exec(
        select(RunError)
        .where(RunError.run_id == run_id)
        .order_by(col(RunError.id))
        .limit(MAX_ERRORS_SHOWN)
    ).all()
    return RunDetail(
        **_public(run).model_dump(),
        errors=[RunErrorPublic(sku=e.sku, message=e.message) for e in errors],
    )


@router.get("/channels/{channel_id}/runs", response_model=RunsPublic)
def list_runs(
    channel: ChannelDep,
    session: SessionDep,
    operation: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> RunsPublic:
    stmt = select(Run).where(Run.channel_id == channel.id)
    if operation:
        stmt = stmt.where(Run.operation == operation)
    runs = session.exec(stmt.order_by(col(Run.id).desc()).limit(limit)).all()
    return RunsPublic(data=[_public(r) for r in runs])
