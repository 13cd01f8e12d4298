"""The warehouse: connecting, migrating, and loading lake objects exactly once."""
