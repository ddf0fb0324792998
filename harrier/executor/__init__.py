"""Harrier executor."""
