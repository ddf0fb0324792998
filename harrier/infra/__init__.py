"""Harrier infra."""
