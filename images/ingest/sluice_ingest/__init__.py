"""The Sluice ingest stage (handler: sluice_ingest.handler.handle)."""
