"""Sluice: a serverless, realtime event pipeline for video-player telemetry."""

from __future__ import annotations

__version__ = "0.2.0"
