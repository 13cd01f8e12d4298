"""Artifacts derived from the Avro schemas, never written by hand: the flat row of the lake, the
OpenSearch index template and the warehouse DDL all come from :mod:`sluice.artifacts.columns`."""
