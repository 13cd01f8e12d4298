"""The two kinds of failure a stage can meet, kept apart on purpose.

A *retryable* error is about the world (a throttled stream, a sink that is down, time running
out): the same record will succeed later, so it goes back to Lambda in ``batchItemFailures``.
A *poison-record* error is about the record itself: retrying it can never help, so it becomes a
failed event and the batch moves on.
"""

from __future__ import annotations

__all__ = ["PoisonRecordError", "RetryableError", "SinkRejectedError", "SluiceError", "UnsupportedTriggerError"]


class SluiceError(Exception):
    """Base class of every error Sluice raises on purpose."""


class RetryableError(SluiceError):
    """The record did not fail on its own account; try it again later."""


class PoisonRecordError(SluiceError):
    """The record can never be processed as it is; it becomes a failed event.

    ``failure_type`` is a symbol of the FailedEvent schema's ``FailureType`` enum.
    """

    failure_type: str = "format"


class SinkRejectedError(PoisonRecordError):
    """A destination refused the record itself (not the request, not the stage's access)."""

    failure_type = "sink_rejection"


class UnsupportedTriggerError(SluiceError):
    """An event a stage does not handle (an SQS event to a Kinesis stage, a bare EventBridge event
    to ingest): raised with what came, so that a miswired trigger fails loudly instead of
    succeeding with nothing done."""
