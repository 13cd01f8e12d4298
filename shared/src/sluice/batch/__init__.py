"""Kinesis batches: KPL aggregation and the partial-batch response Lambda understands."""
