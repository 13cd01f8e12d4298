"""The Sluice indexer stage (handler: sluice_indexer.handler.handle)."""
