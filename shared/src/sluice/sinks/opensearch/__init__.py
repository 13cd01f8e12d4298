"""OpenSearch: the client, bulk indexing with per-item outcomes, and the bootstrap."""
