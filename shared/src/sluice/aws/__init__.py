"""AWS clients, built once per process and injected into the domain code."""
