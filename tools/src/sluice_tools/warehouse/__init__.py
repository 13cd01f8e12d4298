"""Sluice tools: warehouse."""
