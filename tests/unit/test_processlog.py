"""The process log: UTC timestamps ending in Z, and no line per Elasticsearch request."""

from __future__ import annotations

import re
import subprocess
import sys


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stderr


def test_lines_carry_utc_timestamps_ending_in_z_and_the_process_name_on_request() -> None:
    err = _run("from harrier import processlog; import logging\n"
               "processlog.configure(process_name=True); logging.getLogger('harrier.x').info('hello')")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z MainProcess INFO harrier.x: hello\n", err), err


def test_the_elasticsearch_transport_logs_warnings_only() -> None:
    err = _run("from harrier import processlog; import logging\n"
               "processlog.configure()\n"
               "logging.getLogger('elastic_transport.transport').info('PUT /_bulk [status:200]')\n"
               "logging.getLogger('elastic_transport.transport').warning('node down')")
    assert "PUT /_bulk" not in err
    assert err.endswith("WARNING elastic_transport.transport: node down\n"), err
