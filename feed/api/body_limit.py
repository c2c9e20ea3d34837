"""A size limit on admin API request bodies, enforced before the app sees them.

Bulk listing imports have their own, larger limit (``MAX_IMPORT_BYTES``), checked as the body
streams in; every other body is small JSON and stops at ``MAX_BODY_BYTES``: refused at once
when its ``Content-Length`` says so, or as soon as a body sent without one grows past it.
"""

import re

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feed.errors import error_body

_IMPORT = re.compile(r"^/api/v1/channels/[^/]+/listings/?$")


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _applies(self, scope: Scope) -> bool:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/"):
            return False
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return False
        return not (scope["method"] == "PUT" and _IMPORT.match(path))

    async def _too_large(self, send: Send) -> None:
        body = orjson.dumps(
            error_body("PayloadTooLargeError", f"request body is larger than {self.limit} bytes")
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._too_large(send)
                return
        # Small by definition: read it whole, then hand it to the app in one piece.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
