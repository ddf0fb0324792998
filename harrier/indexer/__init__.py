"""Harrier indexer."""
