"""Script tasks: shell commands and Python scripts."""

from __future__ import annotations

from typing import Any, ClassVar

from harrier.core.properties import DynBool, DynDict, DynList, DynStr
from harrier.core.tasks.base import Task

__all__ = ["PythonScript", "ShellCommands"]


class ScriptTask(Task):
    """What both script tasks share: environment, files, interpreter and runner settings."""

    env: DynDict | None = None
    input_files: DynDict | None = None
    output_files: DynList | None = None
    namespace_files: dict[str, Any] | None = None
    before_commands: DynList | None = None
    interpreter: DynList | None = None
    warning_on_std_err: DynBool = True
    fail_fast: DynBool = True
    container_image: DynStr | None = None
    task_runner: dict[str, Any] | None = None
    docker: dict[str, Any] | None = None


class ShellCommands(ScriptTask):
    """Run `commands` in a shell, one after another."""

    type_name: ClassVar[str] = "shell.Commands"
    type_aliases: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.scripts.shell.Commands",
        "io.kestra.core.tasks.scripts.Bash",
    )

    commands: DynList


class PythonScript(ScriptTask):
    """Run `script` with a Python interpreter."""

    type_name: ClassVar[str] = "python.Script"
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.scripts.python.Script",)

    script: DynStr
    dependencies: DynList | None = None
