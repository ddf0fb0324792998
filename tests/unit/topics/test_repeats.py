"""Kafka client errors that repeat during an outage come out once a minute, with a count."""

from __future__ import annotations

import logging

import pytest

from harrier.topics.repeats import RepeatFilter


def record(message: str, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord("harrier.kafka", level, __file__, 1, message, None, None)


def test_the_same_error_of_every_client_passes_once_per_window(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr("harrier.topics.repeats.time.monotonic", lambda: now[0])
    repeats = RepeatFilter(window_s=60.0)
    refused = "FAIL [harrier-worker#consumer-{n}] [thrd:127.0.0.1:19106/bootstrap]: Connect to 127.0.0.1:19106 failed: refused (after {n}ms)"
    assert repeats.filter(record(refused.format(n=1)))
    assert not any(repeats.filter(record(refused.format(n=n))) for n in range(2, 50))
    assert repeats.filter(record("kafka client error: 1/1 brokers are down"))  # another kind
    assert repeats.filter(record("debug chatter", logging.INFO)) and repeats.filter(record("debug chatter", logging.INFO))
    now[0] += 61
    again = record(refused.format(n=7))
    assert repeats.filter(again)
    assert again.getMessage().endswith("(and 48 more like it in the last 60 s)")
