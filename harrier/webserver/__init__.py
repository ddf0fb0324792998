"""Harrier webserver."""
