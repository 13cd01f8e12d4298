"""Sluice tools: the ``sluice`` command and what it drives (the local pipeline, cost and capacity,
traffic, recovery of failed events, the health report and simulation, the generated artifacts).

They depend on the runtime (``sluice``), never the other way round: a stage image installs the
runtime alone. The layering is held by import-linter (``.importlinter``)."""

from __future__ import annotations

__version__ = "0.2.0"
