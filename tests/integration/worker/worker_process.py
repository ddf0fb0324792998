"""A worker in its own OS process, for crash tests: `python worker_process.py SETTINGS_JSON`.

Prints `running=<n>` whenever the number of running tasks changes, so a test knows when
the worker holds its tasks before killing it.
"""

from __future__ import annotations

import sys
import threading
import time

from harrier.config import Settings
from harrier.worker import Worker


def main() -> None:
    worker = Worker(Settings.model_validate_json(sys.argv[1]))
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    worker.ready.wait(30)
    print("ready", flush=True)
    last = -1
    while thread.is_alive():
        if worker.running != last:
            last = worker.running
            print(f"running={last}", flush=True)
        time.sleep(0.05)


if __name__ == "__main__":
    main()
