"""Kestra's flowables, properties and deprecated forms end to end through executor and worker:
WaitFor, EachSequential/EachParallel, debug.Echo, execution.Labels, execution.Resume,
afterExecution, allowWarning, finally on a flowable, a MAX_DURATION sla, errorLogs(),
Pause.tasks and the older input forms.

One module-scoped executor and worker on topics of their own (`test_flows.py`'s `Stack`); each
test starts its flow and checks the terminal snapshot: the state and outputs Kestra's
documentation gives for it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harrier.core.messages import ResumeExecution
from harrier.topics import build_specs, create_admin, ensure_topics

sys.path.insert(0, str(Path(__file__).parent))

from test_flows import TOPICS, Stack, _settings, running  # noqa: E402

pytestmark = pytest.mark.integration

FLOWS = [
    # Kestra's own WaitFor example: loop until the Return gives 4.
    """
    id: wait-for
    namespace: e2e.kestra
    tasks:
      - id: waitFor
        type: io.kestra.plugin.core.flow.WaitFor
        condition: "{{ outputs.return.value != '4' }}"
        checkFrequency: {interval: PT0.2S}
        tasks:
          - id: return
            type: io.kestra.plugin.core.debug.Return
            format: "{{ outputs.waitFor.iterationCount }}"
    outputs:
      - {id: rounds, value: "{{ outputs.waitFor.iterationCount }}"}
    """,
    """
    id: each
    namespace: e2e.kestra
    tasks:
      - id: seq
        type: io.kestra.plugin.core.flow.EachSequential
        value: '["a", "b"]'
        tasks:
          - {id: echo, type: io.kestra.core.tasks.debugs.Echo, format: "value {{ taskrun.value }}"}
      - id: par
        type: io.kestra.core.tasks.flows.EachParallel
        value: [x, y, z]
        tasks:
          - {id: left, type: io.kestra.plugin.core.debug.Return, format: "l-{{ taskrun.value }}"}
          - {id: right, type: io.kestra.plugin.core.debug.Return, format: "r-{{ taskrun.value }}"}
    outputs:
      - {id: lefts, value: "{{ outputs.left }}"}
    """,
    """
    id: labels-after
    namespace: e2e.kestra
    labels: {team: data}
    inputs:
      - {name: env, type: ENUM, values: [dev, prod]}
      - {id: db.host, type: STRING, defaults: pg}
    tasks:
      - id: tag
        type: io.kestra.plugin.core.execution.Labels
        labels: {env: "{{ inputs.env }}", host: "{{ inputs.db.host }}"}
      - id: guarded
        type: io.kestra.plugin.core.flow.Sequential
        tasks:
          - {id: warn, type: io.kestra.plugin.core.execution.Fail, allowFailure: true, allowWarning: true}
        finally:
          - {id: cleanup, type: io.kestra.plugin.core.debug.Return, format: "{{ labels.env }}"}
    afterExecution:
      - id: report
        type: io.kestra.plugin.core.debug.Return
        format: "{{ execution.state }}"
      - {id: broken, type: io.kestra.plugin.core.execution.Fail}
    """,
    """
    id: sla
    namespace: e2e.kestra
    sla:
      - {id: quick, type: MAX_DURATION, behavior: FAIL, duration: PT1S, labels: {sla: missed}}
    tasks:
      - {id: slow, type: io.kestra.plugin.core.flow.Sleep, duration: PT30S}
    """,
    """
    id: error-logs
    namespace: e2e.kestra
    tasks:
      - {id: boom, type: io.kestra.plugin.core.execution.Fail, errorMessage: disk full}
    errors:
      - id: alert
        type: io.kestra.plugin.core.debug.Return
        format: "{{ errorLogs()[0].taskId }}: {{ errorLogs()[0].message }}"
    """,
    """
    id: resume
    namespace: e2e.kestra
    tasks:
      - id: both
        type: io.kestra.plugin.core.flow.Parallel
        tasks:
          - id: wait
            type: io.kestra.plugin.core.flow.Pause
            onResume: [{id: approved, type: BOOLEAN}]
          - id: resume
            type: io.kestra.plugin.core.execution.Resume
            inputs: {approved: true}
    outputs:
      - {id: approved, value: "{{ outputs.wait.onResume.approved }}"}
    """,
    """
    id: legacy-child
    namespace: e2e.kestra
    tasks:
      - {id: greet, type: io.kestra.plugin.core.debug.Return, format: hello}
    """,
    """
    id: legacy
    namespace: e2e.kestra
    retry: {type: constant, interval: PT0.2S, maxAttempts: 3}
    taskDefaults:
      - {type: io.kestra.plugin.core.debug.Return, values: {format: defaulted}}
    sla:
      - {id: checked, type: EXECUTION_ASSERTION, behavior: CANCEL, assert: "{{ outputs.two.value == 'never' }}"}
    tasks:
      - id: flaky
        type: io.kestra.plugin.core.execution.Fail
        condition: "{{ taskrun.attemptsCount < 1 }}"
      - id: route
        type: io.kestra.plugin.core.flow.Switch
        value: "{{ 1 + 1 }}"
        cases:
          2: [{id: two, type: io.kestra.plugin.core.debug.Return}]
      - id: call
        type: io.kestra.core.tasks.flows.Flow
        namespace: e2e.kestra
        flowId: legacy-child
        outputs: {said: "{{ outputs.greet.value }}"}
    """,
    """
    id: expressions
    namespace: e2e.kestra
    inputs:
      - {id: doc, type: STRING, defaults: '{"users": [{"name": "ada"}, {"name": "bob"}]}'}
    tasks:
      - id: shape
        type: io.kestra.plugin.core.debug.Return
        format: >-
          {{ inputs.doc | jq('.users[1].name') | first }}
          {{ 1234.5 | numberFormat('#,##0.00') }}
          {{ inputs.doc contains 'ada' }}
          {% if 'x: 1' | yaml | toIon equals '{x:1}' %}ion{% endif %}
    """,
    """
    id: pause-tasks
    namespace: e2e.kestra
    tasks:
      - id: wait
        type: io.kestra.plugin.core.flow.Pause
        tasks:
          - {id: inside, type: io.kestra.plugin.core.debug.Return, format: resumed}
    """,
]


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = _settings(kafka_bootstrap, tmp_path_factory.mktemp("storage"))
    specs = build_specs(settings)
    ensure_topics(create_admin(settings), [specs[name] for name in TOPICS])
    helper = Stack(settings)
    for source in FLOWS:
        helper.deploy(source)
    with running(settings, "e2e-kestra"):
        yield helper


def _runs(state: dict) -> dict[str, list[dict]]:
    by_task: dict[str, list[dict]] = {}
    for tr in state["task_runs"]:
        by_task.setdefault(tr["task_id"], []).append(tr)
    return by_task


def test_wait_for_loops_on_the_executor_timer_until_its_condition_is_false(stack: Stack) -> None:
    state = stack.ended(stack.start("e2e.kestra", "wait-for"))
    assert state["state"] == "SUCCESS", state.get("error")
    runs = _runs(state)
    assert [tr["outputs"]["value"] for tr in runs["return"]] == ["1", "2", "3", "4"]
    assert runs["waitFor"][0]["outputs"] == {"iterationCount": 4}
    assert state["outputs"] == {"rounds": 4}


def test_each_sequential_and_each_parallel_run_as_foreach(stack: Stack) -> None:
    state = stack.ended(stack.start("e2e.kestra", "each"))
    assert state["state"] == "SUCCESS", state.get("error")
    runs = _runs(state)
    assert [tr["value"] for tr in runs["echo"]] == ["a", "b"]
    assert all(tr["state"] == "SUCCESS" for tr in runs["echo"])
    assert state["outputs"] == {"lefts": {"x": {"value": "l-x"}, "y": {"value": "l-y"}, "z": {"value": "l-z"}}}
    assert sorted(tr["outputs"]["value"] for tr in runs["right"]) == ["r-x", "r-y", "r-z"]


def test_labels_allow_warning_finally_and_after_execution(stack: Stack) -> None:
    state = stack.ended(stack.start("e2e.kestra", "labels-after", {"env": "prod"}))
    # Fail with allowFailure ends WARNING, allowWarning makes that SUCCESS; the failing
    # afterExecution task does not change the outcome.
    assert state["state"] == "SUCCESS", state.get("error")
    assert state["labels"] == {"team": "data", "env": "prod", "host": "pg"}
    assert state["inputs"] == {"env": "prod", "db": {"host": "pg"}}
    runs = _runs(state)
    assert runs["warn"][0]["state"] == "SUCCESS"
    assert runs["cleanup"][0]["outputs"] == {"value": "prod"}
    assert runs["report"][0]["outputs"] == {"value": "SUCCESS"}
    assert runs["broken"][0]["state"] == "FAILED"
    assert "tag" in runs and runs["tag"][0]["state"] == "SUCCESS"


def test_max_duration_sla_fails_the_execution_on_the_executor_timer(stack: Stack) -> None:
    state = stack.ended(stack.start("e2e.kestra", "sla"), timeout=30)
    assert state["state"] == "FAILED"
    assert state["error"] == "sla quick violated: the execution ran longer than PT1S"
    assert state["labels"] == {"sla": "missed"}
    assert _runs(state)["slow"][0]["state"] == "KILLED"


def test_pause_tasks_run_after_resume(stack: Stack) -> None:
    execution_id = stack.start("e2e.kestra", "pause-tasks")
    stack.wait(execution_id, lambda s: s["state"] == "PAUSED")
    stack.command(ResumeExecution(execution_id=execution_id))
    state = stack.ended(execution_id)
    assert state["state"] == "SUCCESS", state.get("error")
    assert _runs(state)["inside"][0]["outputs"] == {"value": "resumed"}


def test_error_logs_give_the_errors_handler_the_failure(stack: Stack) -> None:
    state = stack.ended(stack.start("e2e.kestra", "error-logs"))
    assert state["state"] == "FAILED"
    # The message is the task run's error as Harrier words it.
    assert _runs(state)["alert"][0]["outputs"] == {"value": "boom: task 'boom': disk full"}


def test_resume_task_resumes_the_paused_execution_through_the_executions_topic(stack: Stack) -> None:
    state = stack.ended(stack.start("e2e.kestra", "resume"))
    assert state["state"] == "SUCCESS", state.get("error")
    assert "PAUSED" in [h["state"] for h in state["history"]]
    assert state["outputs"] == {"approved": True}


def test_flow_retry_task_defaults_integer_cases_subflow_outputs_and_an_assertion_sla(stack: Stack) -> None:
    state = stack.ended(stack.start("e2e.kestra", "legacy"))
    runs = _runs(state)
    # The flow's retry gave the Fail a second attempt; taskDefaults set the Return's format;
    # the case written `2:` matched; the old Flow type ran the child and rendered its outputs.
    assert [a["state"] for a in runs["flaky"][0]["attempts"]] == ["FAILED", "SUCCESS"]
    assert runs["two"][0]["outputs"] == {"value": "defaulted"}
    assert runs["call"][0]["outputs"]["outputs"] == {"said": "hello"}
    # Everything succeeded, but the assertion is false: behavior CANCEL.
    assert state["state"] == "CANCELLED"
    assert state["error"].startswith("sla checked violated: assertion is false")


def test_kestra_filters_render_in_the_worker(stack: Stack) -> None:
    state = stack.ended(stack.start("e2e.kestra", "expressions"))
    assert state["state"] == "SUCCESS", state.get("error")
    assert _runs(state)["shape"][0]["outputs"] == {"value": "bob 1,234.50 true ion"}
