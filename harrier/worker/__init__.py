"""Harrier worker."""
