"""The children of a WorkingDirectory: which directory each worker task starts from, and the
directory's output files as its children report them."""

from __future__ import annotations

from typing import Any

from harrier.core.executions import TaskRun
from harrier.core.messages import WorkingDirectoryRef
from harrier.core.states import State
from harrier.core.tasks.workingdir import WorkingDirectory
from harrier.core.transitions.contexts import render_for
from harrier.core.transitions.run import Run

__all__ = ["directory_ref", "keep_directory_files"]

_DONE = (State.SUCCESS, State.WARNING)


def directory_ref(run: Run, tr: TaskRun) -> WorkingDirectoryRef | None:
    """The directory `tr` runs in when its parent is a WorkingDirectory, else None.

    It starts from the directory the last child that succeeded left (its archive), or, for
    the first one, from the WorkingDirectory's `inputFiles` (rendered here, ValueError or
    HarrierExpressionError when they do not render to a mapping).
    """
    if tr.parent_task_run_id is None:
        return None
    parent = run.get(tr.parent_task_run_id)
    if parent is None:
        return None
    task = run.plan.task(parent.task_id)
    if not isinstance(task, WorkingDirectory):
        return None
    done = [child for child in run.children(parent.id) if child.id != tr.id and child.state in _DONE]
    previous = done[-1].id if done else None
    input_files: Any = None
    if previous is None and task.input_files is not None:
        where = f"{task.id}.inputFiles"
        input_files = render_for(run, parent, task, task.input_files, where)
        if not isinstance(input_files, dict):
            raise ValueError(f"{where}: expected a mapping of file names to contents")
        input_files = {name: render_for(run, parent, task, value, f"{where}.{name}") for name, value in input_files.items()}
    return WorkingDirectoryRef(
        task_id=task.id, task_run_id=parent.id, previous=previous, input_files=input_files,
        namespace_files=task.namespace_files if previous is None else None, output_files=task.output_files,
    )


def keep_directory_files(run: Run, tr: TaskRun, files: dict[str, str]) -> None:
    """Set the WorkingDirectory's `outputFiles` to what its child `tr` found."""
    parent = run.get(tr.parent_task_run_id) if tr.parent_task_run_id else None
    if parent is not None and not parent.state.terminal:
        run.put(parent.replace(outputs={"outputFiles": files}))
