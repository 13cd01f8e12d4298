"""Clients for the places events end up: OpenSearch and the warehouse."""
