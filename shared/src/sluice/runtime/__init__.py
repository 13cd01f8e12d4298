"""What every stage needs at run time: typed errors, structured logs, metrics."""
