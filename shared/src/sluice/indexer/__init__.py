"""The indexer stage's domain: clean events into daily OpenSearch indices, _id = event_id."""
