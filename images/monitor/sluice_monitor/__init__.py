"""The Sluice monitor stage (handler: sluice_monitor.handler.handle)."""
