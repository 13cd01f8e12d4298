"""The stages' logs: one JSON object a line, written by Powertools for AWS Lambda's Logger.

Every line carries the stage, the invocation's Lambda context (``cold_start``, ``function_name``,
``function_memory_size``, ``function_arn``, ``function_request_id``), the X-Ray trace id when
there is one, the level, the time (RFC 3339, UTC), ``location`` and the logger ``name``, and the
fields a call site passes in ``extra``; CloudWatch Logs Insights reads them directly
(``fields stage, function_request_id, message``).

The level is Lambda's ``AWS_LAMBDA_LOG_LEVEL`` (set only under advanced logging controls, which
the stage_function module turns on), else ``POWERTOOLS_LOG_LEVEL``, else INFO: Powertools' order.

Its cost, once per process (measured with farm-bench, 2 cores at load 4-6): importing Powertools
(its package imports Logger, Metrics and Tracer together) is 23 ms at best, 51 ms median, of
module time; a whole ingest first invocation (import, clients, one PutRecords to a local
endpoint) took 27 ms more CPU at the median (588 against 561 ms, ratio 1.03).

What is ours, and why:

- One Powertools logger for the process, named ``sluice``, so every ``logging.getLogger("sluice.…")``
  of the library writes through it. Powertools names its logger after ``POWERTOOLS_SERVICE_NAME``,
  which the stacks set to the pipeline's name: here that variable names the ``service`` field
  only, or the library's loggers would be left outside.
- The per-invocation fields are thread-local keys set by ``StageLogging.bind`` (not
  ``inject_lambda_context``, whose keys are the process's): several stages share a process
  locally, each invoked from its own thread, and each line must name its own stage and request.
  ``cold_start`` is counted per stage for the same reason (Powertools counts it per process).
- Lines go to stdout as it is when each is written: the local runtime and tests replace it.
- The ``sluice`` logger does not propagate: the Lambda runtime's root handler would write every
  line a second time.
"""

from __future__ import annotations

import logging
import os
import sys
from functools import cache
from typing import Any

from aws_lambda_powertools.logging.logger import Logger

__all__ = ["LOGGER_NAME", "StageLogging", "setup_logging"]

LOGGER_NAME = "sluice"


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler writing to ``sys.stdout`` as it is at each line, not as it was at start."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


@cache
def _process_logger() -> Logger:
    logger = Logger(
        service=LOGGER_NAME,  # the logger's name too: the library's loggers are its children
        logger_handler=_StdoutHandler(),
        utc=True,
        use_rfc3339=True,  # Lambda reads a line's level and time only from an RFC 3339 timestamp
        name="%(name)s",
        serialize_stacktrace=False,  # the traceback is in "exception" already: half the bytes
    )
    if service := os.environ.get("POWERTOOLS_SERVICE_NAME"):
        logger.append_keys(service=service)
    library = logging.getLogger(LOGGER_NAME)
    library.propagate = False
    if library.level == logging.NOTSET:
        library.setLevel(1)  # Lambda's TRACE, which Powertools maps to NOTSET (the root's level)
    return logger


class StageLogging:
    """One stage's logging: ``bind`` at the start of each invocation."""

    def __init__(self, stage: str, logger: Logger) -> None:
        self.stage = stage
        self.logger = logger
        self._cold = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "provisioned-concurrency"

    def bind(self, context: Any) -> None:
        """This invocation's stage and Lambda context on every line it logs (this thread's)."""
        cold_start, self._cold = self._cold, False
        self.logger.thread_safe_clear_keys()
        self.logger.thread_safe_append_keys(
            stage=self.stage,
            cold_start=cold_start,
            # Lambda's context has them all; the local runtime's only the request id.
            function_name=getattr(context, "function_name", None),
            function_memory_size=getattr(context, "memory_limit_in_mb", None),
            function_arn=getattr(context, "invoked_function_arn", None),
            function_request_id=getattr(context, "aws_request_id", None),
        )


def setup_logging(stage: str) -> StageLogging:
    """Route the ``sluice`` loggers to stdout as JSON lines at the configured level (once per
    process: each stage's handler module calls it at import)."""
    return StageLogging(stage, _process_logger())
