"""CPU seconds per component during a rung, from /proc: what each 1,000 executions cost.

A `CpuSnapshot` is read before and after a rung: for each process of interest, its role
(`executor`, `webserver`, `broker`, `load client`, ...) and its utime + stime in clock ticks
(/proc/<pid>/stat fields 14 and 15, all threads included), plus the machine's busy ticks from
/proc/stat. `cpu_delta` subtracts the two: a process present in both counts its difference, one
that appeared during the rung counts all its ticks (it started then), one that vanished counts
nothing (its ticks cannot be read any more; the delta names it). What the machine spent beyond
the processes listed is the "rest of the machine" row: other people's work on a shared box.

Roles of the standalone's processes: the supervisor (`harrier server standalone`) starts one
`harrier server <component>` process per component; the executor's stream processes are forked
by multiprocessing's fork server under the executor, so a process takes the component of its
nearest ancestor whose command line names one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "JAVA_ROLES",
    "REST",
    "CpuDelta",
    "CpuSnapshot",
    "assign_roles",
    "clock_ticks",
    "cpu_delta",
    "parse_stat",
    "parse_system_stat",
    "role_of",
    "snapshot",
]

REST = "rest of the machine"
# Java processes of the stack, by a marker in their command line.
JAVA_ROLES: tuple[tuple[str, str], ...] = (
    ("kafka.Kafka", "broker"),
    ("org.elasticsearch.bootstrap.Elasticsearch", "elasticsearch"),
    ("KestraBeside", "kestra"),
)
_COMPONENTS = ("executor", "worker", "scheduler", "indexer", "webserver")


def parse_stat(text: str) -> tuple[int, int]:
    """(parent pid, utime + stime in ticks) from the text of /proc/<pid>/stat.

    The command name (field 2) is in parentheses and may itself hold spaces and parentheses,
    so the fields are counted from the last ')'.
    """
    rest = text[text.rindex(")") + 2:].split()
    # rest[0] is field 3 (state): field n is rest[n - 3].
    return int(rest[1]), int(rest[11]) + int(rest[12])


def parse_system_stat(text: str) -> int:
    """Busy ticks of the whole machine from /proc/stat: every `cpu` field but idle and iowait
    (guest time is already counted in user)."""
    for line in text.splitlines():
        if line.startswith("cpu "):
            fields = [int(v) for v in line.split()[1:]]
            user, nice, system, _idle, _iowait, irq, softirq, *more = fields + [0] * 3
            steal = more[0] if more else 0
            return user + nice + system + irq + softirq + steal
    raise ValueError("no aggregate cpu line in /proc/stat")


def role_of(cmdline: str) -> str | None:
    """The role a command line names by itself, or None (then the nearest ancestor's counts)."""
    words = cmdline.split()
    if "server" in words:
        after = words[words.index("server") + 1:words.index("server") + 2]
        if after and (after[0] in _COMPONENTS or after[0] == "standalone"):
            return "supervisor" if after[0] == "standalone" else after[0]
    for marker, role in JAVA_ROLES:
        if marker in cmdline:
            return role
    return None


@dataclass(frozen=True)
class CpuSnapshot:
    """Ticks per process (with its role) and of the whole machine, at one moment."""

    at: float
    processes: Mapping[int, tuple[str, int]]
    machine_ticks: int


@dataclass(frozen=True)
class CpuDelta:
    """CPU seconds per role between two snapshots, and what they cost per 1,000 executions."""

    wall_s: float
    seconds: Mapping[str, float]
    processes: Mapping[str, int]
    executions: int
    vanished: tuple[int, ...] = field(default=())

    def per_thousand(self, role: str) -> float | None:
        """CPU seconds of `role` per 1,000 executions (None when no execution ended)."""
        return self.seconds[role] * 1000.0 / self.executions if self.executions else None

    def core_share(self, role: str) -> float:
        """Fraction of one core `role` used over the window."""
        return self.seconds[role] / self.wall_s if self.wall_s > 0 else 0.0

    def to_dict(self) -> dict[str, object]:
        """Plain data for the JSON results."""
        return {"wall_s": self.wall_s, "seconds": dict(self.seconds), "processes": dict(self.processes),
                "executions": self.executions, "vanished": list(self.vanished)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> CpuDelta:
        """The inverse of `to_dict`."""
        return cls(float(data["wall_s"]), dict(data["seconds"]), dict(data["processes"]),  # type: ignore[arg-type]
                   int(data["executions"]), tuple(data.get("vanished", ())))  # type: ignore[arg-type]


def cpu_delta(before: CpuSnapshot, after: CpuSnapshot, executions: int, clock_ticks: int) -> CpuDelta:
    """Seconds per role from `before` to `after`; the machine's busy time not accounted to a
    listed process is the `REST` role (never below zero: the two reads are not atomic)."""
    seconds: dict[str, float] = {}
    counts: dict[str, int] = {}
    for pid, (role, ticks) in after.processes.items():
        start = before.processes[pid][1] if pid in before.processes else 0
        seconds[role] = seconds.get(role, 0.0) + max(0, ticks - start) / clock_ticks
        counts[role] = counts.get(role, 0) + 1
    ours = sum(seconds.values())
    machine = max(0, after.machine_ticks - before.machine_ticks) / clock_ticks
    seconds[REST] = max(0.0, machine - ours)
    counts[REST] = 0
    vanished = tuple(sorted(pid for pid in before.processes if pid not in after.processes))
    return CpuDelta(after.at - before.at, seconds, counts, executions, vanished)


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _all_processes(proc: Path) -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, ticks, command line) of every readable process."""
    found = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        stat, cmdline = _read(entry / "stat"), _read(entry / "cmdline")
        if stat is None or cmdline is None:
            continue  # gone between the listing and the read
        parent, ticks = parse_stat(stat)
        found[int(entry.name)] = (parent, ticks, cmdline.replace("\0", " "))
    return found


def assign_roles(table: Mapping[int, tuple[int, int, str]], roots: Iterable[int],
                 extra: Mapping[int, str]) -> dict[int, tuple[str, int]]:
    """Roles of the descendants of `roots` (nearest named ancestor), of the stack's java
    processes wherever they run, and of `extra` (pid -> role, e.g. the load client)."""
    roles: dict[int, tuple[str, int]] = {}
    wanted = set(roots)

    def under_root(pid: int) -> str | None:
        named = None
        seen = 0
        while pid in table and seen < 64:
            parent, _, cmdline = table[pid]
            named = named or role_of(cmdline)
            if pid in wanted:
                return named
            pid, seen = parent, seen + 1
        return None

    for pid, (_, ticks, cmdline) in table.items():
        role = extra.get(pid) or under_root(pid)
        if role is None:
            role = next((r for marker, r in JAVA_ROLES if marker in cmdline), None)
        if role is not None:
            roles[pid] = (role, ticks)
    return roles


def snapshot(roots: Iterable[int], extra: Mapping[int, str], clock: Callable[[], float],
             proc: Path = Path("/proc")) -> CpuSnapshot:
    """Read every process of interest and the machine's busy ticks now."""
    table = _all_processes(proc)
    machine = parse_system_stat((proc / "stat").read_text())
    return CpuSnapshot(clock(), assign_roles(table, roots, extra), machine)


def clock_ticks() -> int:
    """Ticks per second of /proc's CPU times."""
    return int(os.sysconf("SC_CLK_TCK"))
