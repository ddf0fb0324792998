"""``python -m harrier.scheduler [--config FILE ...]``: run one scheduler instance."""

from __future__ import annotations

import argparse

from harrier import processlog
from harrier.config.loader import load_settings_or_exit
from harrier.scheduler.app import run_scheduler


def main() -> None:
    """Parse the command line, load the settings, run until SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m harrier.scheduler")
    parser.add_argument("--config", action="append", default=[], help="a YAML properties file (repeatable)")
    parser.add_argument("--instance-id", default=None)
    args = parser.parse_args()
    processlog.configure()
    raise SystemExit(run_scheduler(load_settings_or_exit(args.config), instance_id=args.instance_id))


if __name__ == "__main__":
    main()
