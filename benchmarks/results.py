"""Rewriting one named section of benchmarks/RESULTS.md, with the machine and the command that produced it."""

from __future__ import annotations

import os
import platform
import re
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["machine_line", "write_section"]


def machine_line() -> str:
    """One line describing this machine, for every results section."""
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({cpu}), {memory_gib:.0f} GiB, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def write_section(path: str | Path, title: str, command: str, body: str) -> None:
    """Replace (or append) the `## title` section of the results file, keeping every other section."""
    path = Path(path)
    text = path.read_text() if path.exists() else "# Benchmark results\n\nEach section is rewritten by the program named in it.\n"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = (f"## {title}\n\nMachine: {machine_line()}  \nCommand: `{command}`  \nRun: {stamp}\n\n"
               f"{body.strip()}\n\n")
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
