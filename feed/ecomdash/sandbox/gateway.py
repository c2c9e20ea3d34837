"""The API-Management layer in front of the sandbox routes.

Case-insensitive paths, the two subscription keys (401 from the gateway, 403 from ecomdash),
throttling (120 calls/minute per account, 3 concurrent per operation) and injected faults, in
the order the real gateway applies them. Every call is logged for contract tests.
"""

import re
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feed.ecomdash.sandbox.faults import DroppedConnection
from feed.ecomdash.sandbox.state import SandboxState

FORBIDDEN = (
    "The provided 'ecd-subscription-key' / 'application-id' combination is not valid or does "
    "not belong to a company with a current ecomdash subscription."
)
MISSING_KEY = (
    "Access denied due to missing subscription key. Make sure to include subscription key "
    "when making requests to an API."
)
INVALID_KEY = (
    "Access denied due to invalid subscription key. Make sure to provide a valid key for an "
    "active subscription."
)
OOPS = "Oops, something went wrong while processing your request"
_ID = re.compile(r"/\d+(?:\.0+)?(?=/|$)")


async def _respond(
    send: Send, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    content = orjson.dumps(body)
    raw = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(content)).encode()),
    ]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": content})


class Gateway:
    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        root = scope.get("root_path", "") if scope["type"] == "http" else ""
        original_path = scope.get("path", "")
        if root and original_path.startswith(root):
            original_path = original_path[len(root) :]  # mounted, e.g. under /sandbox
        if scope["type"] != "http" or not original_path.lower().startswith("/api/"):
            await self.app(scope, receive, send)
            return
        path = re.sub(r"/{2,}", "/", original_path).lower()
        scope = {**scope, "path": root + path, "raw_path": (root + path).encode()}
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        entry: dict[str, Any] = {
            "method": scope["method"],
            "path": original_path,
            "query": scope["query_string"].decode(),
            "headers": headers,
            "body": _json_or_text(body),
            "status": None,
        }
        self.state.requests.append(entry)

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def reply(status: int, payload: Any, extra: dict[str, str] | None = None) -> None:
            entry["status"] = status
            await _respond(send, status, payload, extra)

        portal_key = headers.get("ocp-apim-subscription-key")
        if not portal_key:
            return await reply(401, {"statusCode": 401, "message": MISSING_KEY})
        if self.state.portal_keys is not None and portal_key not in self.state.portal_keys:
            return await reply(401, {"statusCode": 401, "message": INVALID_KEY})
        account = self.state.accounts.get(headers.get("ecd-subscription-key", ""))
        if account is None or (
            account.application_id is not None
            and headers.get("application-id") != account.application_id
        ):
            return await reply(403, {"Message": FORBIDDEN})

        operation = f"{scope['method']} {_ID.sub('/{id}', path)}"
        running = account.throttle.running
        if running.get(operation, 0) >= account.faults.concurrency_per_operation:
            return await reply(429, _throttled(1), {"Retry-After": "1"})
        wait = account.throttle.admit(account.faults)
        if wait is not None:
            return await reply(429, _throttled(wait), {"Retry-After": str(wait)})

        running[operation] = running.get(operation, 0) + 1
        try:
            fault = account.fault_plan.draw()
            await account.fault_plan.delay()
            if fault == "throttle":
                seconds = account.faults.throttle_retry_after
                return await reply(429, _throttled(seconds), {"Retry-After": str(seconds)})
            if fault == "error":
                return await reply(500, {"Message": OOPS})
            if fault == "drop":
                # Promise a body, send part of it, then cut the connection mid-response.
                entry["status"] = "dropped"
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", b"4096"),
                        ],
                    }
                )
                await send(
                    {"type": "http.response.body", "body": b'{"status": "Su', "more_body": True}
                )
                raise DroppedConnection(f"{scope['method']} {original_path}")
            scope.setdefault("state", {})
            scope["state"] = {**scope["state"], "account": account}
            await self.app(scope, replay, self._capture(send, entry, fault == "malformed"))
        finally:
            running[operation] -= 1

    def _capture(self, send: Send, entry: dict[str, Any], malformed: bool) -> Send:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
                if not malformed:
                    await send(message)
                else:
                    start.update(message)
                return
            if not malformed:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                broken = b"".join(chunks)[: max(1, len(b"".join(chunks)) // 2)]
                headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
                headers.append((b"content-length", str(len(broken)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": broken})

        return wrapped


def _throttled(seconds: int) -> dict[str, Any]:
    return {
        "statusCode": 429,
        "message": f"Rate limit is exceeded. Try again in {seconds} seconds.",
    }


def _json_or_text(body: bytes) -> Any:
    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace")
