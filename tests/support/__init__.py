"""Factories shared by the test layers."""
