"""The traffic generator: realistic player sessions, good and bad, reproducible from a seed."""
