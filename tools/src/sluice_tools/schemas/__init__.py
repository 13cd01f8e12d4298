"""Sluice tools: schemas."""
