"""One exception type for expected failures, rendered as ``{"error": ..., "detail": ...}``."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)


class FeedError(Exception):
    status_code = 400

    def __init__(
        self, detail: Any, status_code: int | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code
        self.headers = headers


class NotFoundError(FeedError):
    status_code = 404


class ConflictError(FeedError):
    status_code = 409


class UnauthorizedError(FeedError):
    status_code = 401

    def __init__(self, detail: Any = "missing or invalid bearer token") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class InvalidInputError(FeedError):
    """Input the schema accepted but the domain does not (``detail`` names the field)."""

    status_code = 422


class ImportRejectedError(FeedError):
    """A bulk import with invalid rows: ``detail`` is a list of ``{row, column, message}``."""

    status_code = 422

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


class FeedNotReadyError(FeedError):
    status_code = 503


class PayloadTooLargeError(FeedError):
    status_code = 413


class UnsupportedMediaTypeError(FeedError):
    status_code = 415


def error_body(error: str, detail: Any) -> dict[str, Any]:
    return {"error": error, "detail": detail}


async def _feed_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FeedError)
    return JSONResponse(
        error_body(type(exc).__name__, exc.detail), exc.status_code, headers=exc.headers
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = [{"loc": list(e["loc"]), "message": e["msg"], "type": e["type"]} for e in exc.errors()]
    return JSONResponse(error_body("ValidationError", detail), 422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(error_body("HTTPError", exc.detail), exc.status_code, headers=exc.headers)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """A lost database connection (a restart, a failover) is a 503 to retry, not a crash."""
    assert isinstance(exc, DBAPIError)
    if not (isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated):
        raise exc
    logger.warning("feed.database.unavailable error=%s", type(exc.orig).__name__)
    return JSONResponse(
        error_body("DatabaseUnavailableError", "the database is unavailable; retry shortly"),
        503,
        headers={"Retry-After": "5"},
    )


async def _pool_timeout(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("feed.database.pool_exhausted")
    return JSONResponse(
        error_body("DatabaseBusyError", "every database connection is in use; retry shortly"),
        503,
        headers={"Retry-After": "1"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(SQLAlchemyTimeoutError, _pool_timeout)
    app.add_exception_handler(FeedError, _feed_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
