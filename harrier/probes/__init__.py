"""Probe endpoints for the components without a web framework: ``/health``, ``/ready``, ``/metrics``."""

from __future__ import annotations

from harrier.probes.server import ProbeServer, Readiness, start_probes

__all__ = ["ProbeServer", "Readiness", "start_probes"]
