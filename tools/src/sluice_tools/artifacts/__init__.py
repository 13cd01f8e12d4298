"""Sluice tools: artifacts."""
