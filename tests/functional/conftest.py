"""Functional layer: the real code against moto in server mode over HTTP (fixtures in
tests/conftest.py, shared with the image and integration layers)."""
