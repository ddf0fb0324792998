"""Kestra 1.x's API, mounted under ``/api/v1/{tenant}``: the same operations as Harrier's own
routes, answering Kestra's bodies (``harrier.webserver.kestra``)."""
