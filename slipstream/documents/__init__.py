"""Typed documents that cross a seam between the runtimes, each defined once (pydantic only, no pandas)."""
