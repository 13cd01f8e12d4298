"""Sluice tools: health."""
