"""`harrier server <component>`: run one component (as a container does) or all of them (standalone)."""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import subprocess
import sys
import time
from types import FrameType

__all__ = ["COMPONENTS", "add_parser"]

# Entry points are imported on demand so one component never pays for another's imports.
COMPONENTS: dict[str, str] = {
    "executor": "harrier.executor.app:run_executor",
    "worker": "harrier.worker.main:run_worker",
    "scheduler": "harrier.scheduler.app:run_scheduler",
    "indexer": "harrier.indexer.runner:run_indexer",
    "webserver": "harrier.webserver.app:run_webserver",
}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `server` command."""
    parser = subparsers.add_parser("server", help="run Harrier components")
    parser.add_argument("component", choices=["standalone", *COMPONENTS])
    parser.add_argument("--config", action="append", default=[], metavar="FILE", help="YAML properties file")
    parser.add_argument("--without", action="append", default=[], choices=list(COMPONENTS),
                        help="standalone: leave this component out (repeatable)")
    parser.add_argument("--no-ensure-topics", action="store_true", help="skip creating/checking the topics")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Create the topics, then run the component in this process or supervise all of them."""
    # The settings and Kafka clients load here, not with the parser: the other commands
    # (and every shell completion) start without them.
    from harrier import processlog
    from harrier.config import load_settings_or_exit
    from harrier.topics.admin import ensure_topics
    from harrier.topics.clients import create_admin
    from harrier.topics.specs import build_specs

    processlog.configure()
    settings = load_settings_or_exit(args.config)
    if not args.no_ensure_topics:
        ensure_topics(create_admin(settings), build_specs(settings).values())
    if args.component == "standalone":
        wanted = [c for c in COMPONENTS if c not in args.without]
        return _supervise(wanted, args.config)
    module, function = COMPONENTS[args.component].split(":")
    entry = getattr(importlib.import_module(module), function)
    return int(entry(settings) or 0)


def _supervise(components: list[str], config: list[str]) -> int:
    """Start each component as its own process; stop them all on Ctrl-C, SIGTERM or any exit."""
    extra = [arg for path in config for arg in ("--config", path)]
    children = {
        name: subprocess.Popen([sys.executable, "-m", "harrier.cli.main", "server", name, "--no-ensure-topics", *extra])
        for name in components
    }
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                logging.getLogger("harrier.standalone").error("%s exited with %s; stopping", name, child.returncode)
                code, stopping = 1, True
        time.sleep(0.2)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    return code
