"""What a flowable decides once, when it starts: the If branch, the Switch case, the
ForEach values, a Pause's timer, a Subflow's child execution, the labels Labels sets, the
resume command Resume sends, the first WaitFor round."""

from __future__ import annotations

from pydantic_core import to_jsonable_python

from harrier.core.executions import Attempt, TaskRun
from harrier.core.expressions.environment import to_text
from harrier.core.expressions.functions import from_json
from harrier.core.messages import CreateExecution, ParentRef, ResumeExecution
from harrier.core.properties import normalize_labels
from harrier.core.sealing import seal_if_secret
from harrier.core.states import State
from harrier.core.tasks.base import Task
from harrier.core.tasks.flowable import ForEach, If, Pause, Subflow, Switch
from harrier.core.tasks.labels import SetLabels
from harrier.core.tasks.loops import WaitFor
from harrier.core.tasks.resume import ResumeTask
from harrier.core.transitions.contexts import render_for
from harrier.core.transitions.moves import child_execution_id, finish
from harrier.core.transitions.run import Run
from harrier.core.transitions.values import as_duration, as_list, truthy

__all__ = ["initialize"]


def initialize(run: Run, tr: TaskRun, task: Task) -> TaskRun:
    """What a flowable decides once, when it starts (may end it: a Subflow without wait)."""
    if isinstance(task, If):
        go = truthy(render_for(run, tr, task, task.condition, f"{task.id}.condition"))
        return run.put(tr.replace(branch="then" if go else "else"))
    if isinstance(task, Switch):
        value = to_text(render_for(run, tr, task, task.value, f"{task.id}.value"))
        branch = value if task.cases and value in task.cases else "defaults"
        return run.put(tr.replace(branch=branch, outputs={"value": value}))
    if isinstance(task, ForEach):
        items = as_list(render_for(run, tr, task, task.values, f"{task.id}.values"), f"{task.id}.values")
        return run.put(tr.replace(items=to_jsonable_python(items)))
    if isinstance(task, Pause):
        return _pause(run, tr, task)
    if isinstance(task, Subflow):
        return _subflow(run, tr, task)
    if isinstance(task, SetLabels):
        return _set_labels(run, tr, task)
    if isinstance(task, ResumeTask):
        return _resume(run, tr, task)
    if isinstance(task, WaitFor):
        # Its children may read the round they are in, the first one included.
        return run.put(tr.replace(outputs={"iterationCount": 1}))
    return tr


def _set_labels(run: Run, tr: TaskRun, task: SetLabels) -> TaskRun:
    where = f"{task.id}.labels"
    raw = render_for(run, tr, task, task.labels, where)
    if isinstance(raw, str):
        raw = from_json(raw)
    try:
        given = normalize_labels(raw)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    rendered = {to_text(render_for(run, tr, task, k, where)): to_text(render_for(run, tr, task, v, f"{where}.{k}")) for k, v in given.items()}
    system = sorted(k for k in rendered if k.startswith("system."))
    if system:
        raise ValueError(f"{where}: system labels cannot be set by a task ({', '.join(system)})")
    run.fields["labels"] = {**run.fields.get("labels", run.execution.labels), **rendered}
    return finish(run, tr, State.SUCCESS)


def _resume(run: Run, tr: TaskRun, task: ResumeTask) -> TaskRun:
    target = run.execution.id
    if task.execution_id is not None:
        target = to_text(render_for(run, tr, task, task.execution_id, f"{task.id}.executionId"))
    inputs = {k: render_for(run, tr, task, v, f"{task.id}.inputs.{k}") for k, v in (task.inputs or {}).items()}
    run.commands.append(ResumeExecution(execution_id=target, inputs=to_jsonable_python(inputs)))
    return finish(run, tr, State.SUCCESS, outputs={"executionId": target})


def _pause(run: Run, tr: TaskRun, task: Pause) -> TaskRun:
    raw = task.pause_duration if task.pause_duration is not None else task.delay
    tr = run.put(tr.moved(State.PAUSED, run.now))
    if raw is not None:
        duration = as_duration(render_for(run, tr, task, raw, f"{task.id}.pauseDuration"), f"{task.id}.pauseDuration")
        run.arm("pause", tr.id, run.now + duration)
    return tr


def _subflow(run: Run, tr: TaskRun, task: Subflow) -> TaskRun:
    ex = run.execution
    namespace = to_text(render_for(run, tr, task, task.namespace, f"{task.id}.namespace"))
    flow_id = to_text(render_for(run, tr, task, task.flow_id, f"{task.id}.flowId"))
    inputs = {
        k: seal_if_secret(render_for(run, tr, task, v, f"{task.id}.inputs.{k}")) for k, v in (task.inputs or {}).items()
    }
    labels = dict(ex.labels) if task.inherit_labels else {}
    own = task.labels or {}
    if isinstance(own, list):
        own = {str(item.get("key")): item.get("value") for item in own}
    labels.update({k: to_text(render_for(run, tr, task, v, f"{task.id}.labels.{k}")) for k, v in own.items()})
    wait = truthy(render_for(run, tr, task, task.wait, f"{task.id}.wait"))
    attempt = Attempt(number=len(tr.attempts) + 1, state=State.RUNNING, started_at=run.now)
    tr = run.put(tr.replace(attempts=(*tr.attempts, attempt)))
    child_id = child_execution_id(tr)
    run.commands.append(
        CreateExecution(
            execution_id=child_id,
            namespace=namespace,
            flow_id=flow_id,
            revision=task.revision,
            inputs=to_jsonable_python(inputs),
            labels=labels,
            parent=ParentRef(
                execution_id=ex.id, task_run_id=tr.id, namespace=ex.namespace, flow_id=ex.flow_id, outputs=task.outputs
            ),
            created_at=run.now,
        )
    )
    tr = run.put(tr.replace(outputs={"executionId": child_id}))
    if not wait:
        ended = tr.attempts[-1].replace(state=State.SUCCESS, ended_at=run.now)
        return finish(run, tr, State.SUCCESS, attempts=(*tr.attempts[:-1], ended))
    if task.timeout is not None:
        where = f"{task.id}.timeout"
        run.arm("timeout", tr.id, run.now + as_duration(render_for(run, tr, task, task.timeout, where), where), attempt.number)
    return tr
