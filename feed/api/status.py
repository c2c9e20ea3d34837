"""A read-only status page at ``/``: channels, their feed links (masked), last runs, held orders.

Server-rendered HTML with no build step; the browser asks for the admin token once (HTTP Basic,
any user name, the token as password).
"""

import base64
import secrets
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from feed.errors import UnauthorizedError
from feed.models import Channel, FeedSnapshot, Run
from feed.operations import OPERATIONS
from feed.orders_models import SalesOrder

router = APIRouter(include_in_schema=False)

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.succeeded{color:#17692e}.failed,.abandoned{color:#b00020}
.partially_failed{color:#a15c00}code{font-size:12px}
"""


class StatusPageUnauthorizedError(UnauthorizedError):
    def __init__(self) -> None:
        super().__init__("the status page needs the admin token")
        self.headers = {"WWW-Authenticate": 'Basic realm="ecomdash-feed"'}


def _authorised(request: Request) -> bool:
    header = request.headers.get("authorization", "")
    expected = request.app.state.settings.ADMIN_TOKEN or ""
    if header.lower().startswith("bearer "):
        return secrets.compare_digest(header[7:].encode(), expected.encode())
    if header.lower().startswith("basic "):
        try:
            _, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return secrets.compare_digest(password.encode(), expected.encode())
    return False


def _channel_rows(conn: Any, base_url: str) -> list[str]:
    channel, run, snapshot = (
        Channel.__table__,
        Run.__table__,  # type: ignore[attr-defined]
        FeedSnapshot.__table__,
    )  # type: ignore[attr-defined]
    order = SalesOrder.__table__  # type: ignore[attr-defined]
    latest = {
        (r.channel_id, r.operation): r
        for r in conn.execute(
            select(run).where(
                run.c.id.in_(select(func.max(run.c.id)).group_by(run.c.channel_id, run.c.operation))
            )
        )
    }
    sizes = {(s.channel_id, s.format): s for s in conn.execute(select(snapshot))}
    held = dict(
        conn.execute(
            select(order.c.channel_id, func.count())
            .where(order.c.state == "held")
            .group_by(order.c.channel_id)
        ).all()
    )
    rows = []
    for ch in conn.execute(select(channel).order_by(channel.c.name)):
        csv = sizes.get((ch.id, "csv"))
        feed = (
            f"<code>{escape(base_url)}/feeds/****.csv</code><br>{csv.rows} rows, "
            f"built {csv.built_at:%Y-%m-%d %H:%M} UTC"
            if csv
            else "not built yet"
        )
        cells = []
        for operation in OPERATIONS:
            r = latest.get((ch.id, operation))
            if r is None:
                cells.append("<td>–</td>")
                continue
            counts = ", ".join(f"{escape(k)} {v}" for k, v in sorted(r.counts.items()))
            cells.append(
                f'<td><span class="{escape(r.state)}">{escape(r.state)}</span> '
                f"#{r.id}<br><small>{counts}</small></td>"
            )
        rows.append(
            f"<tr><td>{escape(ch.name)}</td><td>{feed}</td>{''.join(cells)}"
            f"<td>{held.get(ch.id, 0)}</td></tr>"
        )
    return rows


@router.get("/", response_class=HTMLResponse)
def status_page(request: Request) -> HTMLResponse:
    if not _authorised(request):
        raise StatusPageUnauthorizedError()
    base_url = request.app.state.settings.PUBLIC_BASE_URL.rstrip("/")
    with request.app.state.engine.connect() as conn:
        rows = _channel_rows(conn, base_url)
    heads = "".join(f"<th>{escape(op)}</th>" for op in OPERATIONS)
    body = "".join(rows) or f'<tr><td colspan="{len(OPERATIONS) + 3}">No channels yet.</td></tr>'
    html = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>ecomdash-feed</title>"
        f"<style>{STYLE}</style></head><body><h1>ecomdash-feed</h1>"
        f"<table><tr><th>channel</th><th>feed</th>{heads}<th>held orders</th></tr>{body}"
        f"</table><p><a href='/docs'>API</a> · <a href='/metrics'>metrics</a></p>"
        f"</body></html>"
    )
    return HTMLResponse(html)
