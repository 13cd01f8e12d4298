"""The Sluice loader stage (handler: sluice_loader.handler.handle)."""
