"""The admin REST API under /api/v1 (bearer token) and the public feed links."""

from fastapi import APIRouter, Depends

from feed.api import channels, connection, export, listings, operations, orders, schedules
from feed.api.deps import require_admin

api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_admin)])
api_router.include_router(channels.router)
api_router.include_router(connection.router)
api_router.include_router(listings.router)
api_router.include_router(export.router)
api_router.include_router(operations.router)
api_router.include_router(orders.router)
api_router.include_router(schedules.router)
