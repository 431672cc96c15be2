"""Logging set-up of the entry points: plain lines for people, or one JSON object per line for log collectors."""

from __future__ import annotations

import json
import logging
import os
import time

__all__ = ["JsonFormatter", "configure_logging"]


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", ...extra fields, "exception"}`` on one line."""

    _STANDARD = frozenset(vars(logging.makeLogRecord({})))

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line (UTC time, millisecond precision)."""
        out = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update({k: v for k, v in vars(record).items() if k not in self._STANDARD and not k.startswith("_")})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(level: str | int | None = None, fmt: str | None = None) -> None:
    """Configure the root logger from ``SUPPLYCHAIN_LOG_LEVEL`` (WARNING) and ``SUPPLYCHAIN_LOG_FORMAT`` (text|json)."""
    level = level or os.environ.get("SUPPLYCHAIN_LOG_LEVEL", "WARNING")
    fmt = fmt or os.environ.get("SUPPLYCHAIN_LOG_FORMAT", "text")
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level if isinstance(level, int) else level.upper())
