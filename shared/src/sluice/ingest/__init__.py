"""The ingest stage's domain: HTTP requests from players in, Avro records on the raw stream out."""
