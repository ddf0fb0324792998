"""Harrier cli."""
