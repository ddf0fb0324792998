"""Script tasks: shell Commands and Python Script, run as local processes.

As in Kestra's process runner: the commands run in a fresh working directory (also in
`WORKING_DIR`), the namespace files `namespaceFiles` selects are copied there, then
`inputFiles` are written (a value that is an internal storage URI is that file's content,
fetched); files matching `outputFiles` and every file put in `OUTPUT_DIR` are copied to
internal storage afterwards. Standard output lines
are logged at INFO, standard error lines at WARN; a `::{"outputs": {...}}::` line sets
`outputs.<id>.vars`. Outputs: `exitCode`, `vars`, `outputFiles` (name -> storage URI).
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Any

from harrier.config.loader import ENV_PREFIX
from harrier.core.expressions import to_text
from harrier.core.tasks import PythonScript, ShellCommands
from harrier.core.tasks.scripts import ScriptTask
from harrier.storage.uris import is_storage_uri
from harrier.worker.context import RunContext
from harrier.worker.directories import inject_namespace_files
from harrier.worker.exceptions import TaskFailure
from harrier.worker.markers import MarkerError, parse_marker
from harrier.worker.tasks.fail import is_truthy
from harrier.worker.tasks.processes import run_process

__all__ = ["run_python_script", "run_shell_commands"]

DEFAULT_INTERPRETER = ("/bin/sh", "-c")
_IGNORED = ("container_image", "task_runner", "docker")


def run_shell_commands(task: ShellCommands, context: RunContext) -> dict[str, Any]:
    """Run `commands` (one shell script, `set -e` when failFast) and collect outputs."""
    commands = _string_list(task.commands, "commands")
    return _run_script(task, context, commands)


def run_python_script(task: PythonScript, context: RunContext) -> dict[str, Any]:
    """Write `script` to `script.py` in the working directory and run it with Python."""
    if task.dependencies:
        context.logger.warn("dependencies are not installed by the process runner; install them in the worker's environment")
    path = context.working_dir() / "script.py"
    path.write_text(task.script if isinstance(task.script, str) else to_text(task.script), encoding="utf-8")
    # As the script user, the machine's python3 (found on PATH as that user): the worker's own
    # interpreter may sit where that user cannot go (a venv under /root), and is not the script's.
    python = "python3" if context.script_user is not None else shlex.quote(sys.executable)
    return _run_script(task, context, [f"{python} {shlex.quote(str(path))}"])


def _run_script(task: ScriptTask, context: RunContext, commands: list[str]) -> dict[str, Any]:
    for name in _IGNORED:
        if getattr(task, name) is not None:
            context.logger.debug(f"property {name} is ignored: scripts run as local processes")
    workdir = context.working_dir()
    output_dir = workdir / "_outputs"
    output_dir.mkdir(exist_ok=True)
    inject_namespace_files(context, task.namespace_files, workdir, "namespaceFiles")
    _write_input_files(task, workdir, context)

    fail_fast = is_truthy(task.fail_fast)
    lines = [*_string_list(task.before_commands, "beforeCommands"), *commands]
    script = ("set -e\n" if fail_fast else "") + "\n".join(lines)
    interpreter = _string_list(task.interpreter, "interpreter") or list(DEFAULT_INTERPRETER)
    # The worker's own settings (HARRIER__..., credentials among them) are not the script's.
    env = {name: value for name, value in os.environ.items() if not name.startswith(ENV_PREFIX)}
    if context.script_user is not None:
        env.update(HOME=str(workdir), USER=context.script_user.name, LOGNAME=context.script_user.name)
    env.update({str(k): to_text(v) for k, v in _mapping(task.env, "env").items()})
    env["WORKING_DIR"] = str(workdir)
    env["OUTPUT_DIR"] = str(output_dir)

    variables: dict[str, Any] = {}
    stderr_tail: list[str] = []

    def on_stdout(line: str) -> None:
        if not _take_marker(line, variables, context):
            context.logger.info(line)

    def on_stderr(line: str) -> None:
        if not _take_marker(line, variables, context):
            context.logger.warn(line)
            stderr_tail[:] = [*stderr_tail[-4:], line]

    context.hand_over_working_dir()
    code = run_process([*interpreter, script], env=env, cwd=workdir, context=context, on_stdout=on_stdout, on_stderr=on_stderr)
    if context.cancelled:
        raise TaskFailure("the process was stopped")
    if code != 0:
        detail = f": {stderr_tail[-1]}" if stderr_tail else ""
        raise TaskFailure(f"command exited with code {code}{detail}")
    if stderr_tail and is_truthy(task.warning_on_std_err):
        context.warn("the commands wrote to standard error")
    files = _collect_output_files(task, workdir, output_dir, context)
    return {"exitCode": code, "vars": variables, "outputFiles": files}


def _take_marker(line: str, variables: dict[str, Any], context: RunContext) -> bool:
    try:
        marker = parse_marker(line)
    except MarkerError as exc:
        context.logger.warn(str(exc))
        return False
    if marker is None:
        return False
    variables.update(marker.outputs)
    for metric in marker.metrics:
        if metric.kind == "timer":
            context.metrics.timer(metric.name, metric.value, metric.tags)
        else:
            context.metrics.counter(metric.name, metric.value, metric.tags)
    return True


def _write_input_files(task: ScriptTask, workdir: Path, context: RunContext) -> None:
    for name, content in _mapping(task.input_files, "inputFiles").items():
        target = _inside(workdir, str(name), "inputFiles")
        target.parent.mkdir(parents=True, exist_ok=True)
        if is_storage_uri(content):
            context.fetch_file(content, target, f"inputFiles.{name}")
        else:
            target.write_text(content if isinstance(content, str) else to_text(content), encoding="utf-8")


def _collect_output_files(task: ScriptTask, workdir: Path, output_dir: Path, context: RunContext) -> dict[str, str]:
    found: dict[str, Path] = {}
    for pattern in _string_list(task.output_files, "outputFiles"):
        _inside(workdir, pattern, "outputFiles")
        for path in sorted(workdir.glob(pattern)):
            if path.is_file() and output_dir not in path.parents:
                found[path.relative_to(workdir).as_posix()] = path
    for path in sorted(output_dir.rglob("*")):
        if path.is_file():
            found[path.relative_to(output_dir).as_posix()] = path
    stored = {name: context.store_file(name, path) for name, path in found.items()}
    for name, uri in stored.items():
        context.logger.debug(f"output file {name} stored as {uri}")
    return stored


def _inside(root: Path, name: str, where: str) -> Path:
    target = (root / name).resolve()
    if target != root.resolve() and root.resolve() not in target.parents:
        raise TaskFailure(f"property {where}: {name!r} points outside the working directory")
    return target


def _string_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        # An expression that rendered to one string is one command.
        return [value]
    if not isinstance(value, list):
        raise TaskFailure(f"property {where}: expected a list of strings")
    return [item if isinstance(item, str) else to_text(item) for item in value]


def _mapping(value: Any, where: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TaskFailure(f"property {where}: expected a mapping")
    return value
