"""Harrier's benchmark programs: each prints its figures and can rewrite its section of RESULTS.md."""
