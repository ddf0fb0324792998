"""Harrier: a Kafka-native workflow orchestrator."""

__version__ = "0.1.0"
