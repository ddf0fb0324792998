"""The flow language is pure Python: importing it loads no Kafka client."""

from __future__ import annotations

import subprocess
import sys


def test_core_imports_no_kafka():
    code = (
        "import sys, harrier.core, harrier.core.validation, harrier.core.expressions, harrier.core.registry\n"
        "harrier.core.default_registry()\n"
        "bad = sorted(m for m in sys.modules if 'kafka' in m or 'confluent' in m)\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
