"""The processor stage's domain: decode, validate, clean, enrich and route each raw event."""
