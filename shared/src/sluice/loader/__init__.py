"""The loader stage's domain: new lake objects into the warehouse, each exactly once."""
