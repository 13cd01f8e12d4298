"""JSON structured logs, one object per line, carrying the Lambda request id.

CloudWatch Logs Insights reads these fields directly (``fields stage, request_id, message``).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from contextvars import ContextVar
from typing import Any

__all__ = ["JsonFormatter", "bind_request", "request_id", "setup_logging"]

request_id: ContextVar[str | None] = ContextVar("sluice_request_id", default=None)

_RESERVED = frozenset(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    def __init__(self, stage: str) -> None:
        super().__init__()
        self.stage = stage

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "stage": self.stage,
            "request_id": request_id.get(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def setup_logging(stage: str, level: str = "INFO") -> logging.Logger:
    """Route the ``sluice`` loggers to stdout as JSON lines; idempotent across warm invocations."""
    logger = logging.getLogger("sluice")
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter(stage))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level)
    return logger


def bind_request(context: Any) -> None:
    """Remember the invocation's request id for every log line of this invocation."""
    request_id.set(getattr(context, "aws_request_id", None))
