"""The Sluice processor stage (handler: sluice_processor.handler.handle)."""
