"""Logging: one line per event, as text or JSON (``FEED_LOG_JSON=1``), feed tokens masked.

Events are written as ``feed.snapshot.built channel=3 rows=300``; the JSON form splits them into
``{"event": "feed.snapshot.built", "channel": "3", "rows": "300", ...}``. Feed links carry their
secret in the path, so every record (uvicorn's access log included) has it masked.
"""

import logging
import re
from typing import Any

import orjson

_FEED_TOKEN = re.compile(r"(/feeds/)[A-Za-z0-9_-]{16,128}")
_PAIR = re.compile(r"(\w+)=(\S+)")


def mask(value: Any) -> Any:
    return _FEED_TOKEN.sub(r"\1****", value) if isinstance(value, str) else value


class MaskFeedTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Formatted first: arguments may be URL objects (httpx logs its requests that way).
        message = record.getMessage()
        if "/feeds/" in message:
            record.msg, record.args = mask(message), None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        event, _, rest = message.partition(" ")
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        if "." in event and "=" in rest:
            entry["event"] = event
            entry.update(dict(_PAIR.findall(rest)))
        else:
            entry["message"] = message
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def configure_logging(level: str, json: bool) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(MaskFeedTokens())
    handler.setFormatter(
        JsonFormatter()
        if json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
