"""Failed events at rest: reading them back from S3, summarising and replaying them."""
