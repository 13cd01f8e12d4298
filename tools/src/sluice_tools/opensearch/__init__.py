"""Sluice tools: opensearch."""
