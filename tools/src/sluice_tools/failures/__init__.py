"""Sluice tools: failures."""
