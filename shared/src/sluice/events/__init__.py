"""The Avro event contract: schemas, registry, single-object codec, JSON mapping, failed events."""
