"""Harrier scheduler."""
