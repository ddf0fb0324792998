"""Flow model, task declarations, registry and the task tree walk."""

from __future__ import annotations

from datetime import timedelta

import pytest

from harrier.core import FlowValidationError, TaskKind, default_registry, parse_flow, walk
from harrier.core.registry import Registry
from harrier.core.tasks import Dag, ForEach, If, Log, OutputValues, Subflow, Switch, Task
from harrier.core.tree import child_tasks
from harrier.core.triggers import KafkaRealtimeTrigger, Schedule, Webhook

NESTED = """
id: nested
namespace: company.team
labels:
  - key: team
    value: data
variables:
  greeting: hi
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: '["a", "b"]'
    concurrencyLimit: 2
    tasks:
      - id: check
        type: io.kestra.plugin.core.flow.If
        condition: "{{ taskrun.value == 'a' }}"
        then:
          - id: yes
            type: io.kestra.plugin.core.log.Log
            message: "yes {{ taskrun.value }}"
        else:
          - id: no
            type: Log
            message: no
  - id: route
    type: io.kestra.plugin.core.flow.Switch
    value: "{{ vars.greeting }}"
    cases:
      hi:
        - id: hi-branch
          type: io.kestra.plugin.core.output.OutputValues
          values: {said: hi}
    defaults:
      - id: other
        type: Return
        format: other
  - id: graph
    type: io.kestra.plugin.core.flow.Dag
    tasks:
      - task: {id: first, type: Log, message: one}
      - task: {id: second, type: Log, message: two}
        dependsOn: [first]
errors:
  - id: on-error
    type: Log
    message: failed
finally:
  - id: cleanup
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT1S
triggers:
  - id: nightly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 2 * * *"
concurrency:
  limit: 2
  behavior: CANCEL
"""


@pytest.fixture(scope="module")
def flow():
    return parse_flow(NESTED, "nested.yml")


def test_flow_fields(flow):
    assert flow.uid == "company.team/nested"
    assert flow.labels == {"team": "data"}
    assert flow.concurrency.limit == 2 and flow.concurrency.behavior == "CANCEL"
    assert flow.source == NESTED
    assert isinstance(flow.triggers[0], Schedule)


def test_kestra_aliases_resolve_to_harrier_classes(flow):
    each = flow.tasks[0]
    assert isinstance(each, ForEach) and each.values == ["a", "b"] and each.concurrency_limit == 2
    check = each.tasks[0]
    assert isinstance(check, If) and check.kind is TaskKind.FLOWABLE
    assert isinstance(check.then[0], Log) and check.then[0].kind is TaskKind.RUNNABLE
    assert check.else_[0].message == "no"
    assert check.then[0].type == "io.kestra.plugin.core.log.Log"


def test_walk_visits_every_task_in_document_order(flow):
    ids = [node.task.id for node in walk(flow)]
    assert ids == [
        "each", "check", "yes", "no", "route", "hi-branch", "other", "graph", "first", "second", "on-error", "cleanup",
    ]
    paths = {node.task.id: node.where for node in walk(flow)}
    assert paths["no"] == "tasks[0].tasks[0].else[0]"
    assert paths["hi-branch"] == "tasks[1].cases.hi[0]"
    assert paths["second"] == "tasks[2].tasks[1].task"
    assert paths["cleanup"] == "finally[0]"


def test_index_lookups(flow):
    index = flow.index
    assert index is flow.index  # built once
    assert len(index) == 12
    assert isinstance(flow.task("hi-branch"), OutputValues)
    assert [t.id for t in index.parents("yes")] == ["check", "each"]
    assert index.parent("each") is None
    assert index.children("check") == ["yes", "no"]
    assert index.node("on-error").branch == "errors"
    assert index.node("no").branch == "else"
    with pytest.raises(KeyError):
        flow.task("missing")


def test_child_tasks_of_flowables(flow):
    assert [(p, t.id) for p, t in child_tasks(flow.tasks[2])] == [(("tasks", 0, "task"), "first"), (("tasks", 1, "task"), "second")]
    assert list(child_tasks(flow.task("yes"))) == []


def test_typed_properties_accept_templates():
    flow = parse_flow(
        """
id: t
namespace: n
tasks:
  - id: loop
    type: ForEach
    values: "{{ range(1, 3) }}"
    concurrencyLimit: "{{ inputs.limit }}"
    tasks:
      - id: wait
        type: Sleep
        duration: "{{ inputs.wait }}"
        timeout: PT1M
"""
    )
    loop = flow.tasks[0]
    assert loop.values == "{{ range(1, 3) }}" and loop.concurrency_limit == "{{ inputs.limit }}"
    assert loop.tasks[0].duration == "{{ inputs.wait }}"
    assert loop.tasks[0].timeout == timedelta(minutes=1)


def test_subflow_and_retry_declarations():
    flow = parse_flow(
        """
id: parent
namespace: n
tasks:
  - id: child
    type: io.kestra.plugin.core.flow.Subflow
    namespace: n
    flowId: child
    inputs: {a: 1}
    wait: true
    transmitFailed: true
    retry:
      type: exponential
      maxAttempts: 3
      interval: PT1S
      maxInterval: PT10S
"""
    )
    sub = flow.tasks[0]
    assert isinstance(sub, Subflow) and sub.flow_id == "child" and sub.inputs == {"a": 1}
    assert sub.retry.max_attempts == 3 and sub.retry.max_interval == timedelta(seconds=10)


def test_kafka_and_webhook_triggers():
    flow = parse_flow(
        """
id: k
namespace: n
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: abc
  - id: rt
    type: io.kestra.plugin.kafka.RealtimeTrigger
    topic: t
    groupId: g
    properties: {bootstrap.servers: "localhost:9092"}
    valueDeserializer: JSON
tasks:
  - {id: a, type: Log, message: x}
"""
    )
    hook, rt = flow.triggers
    assert isinstance(hook, Webhook) and hook.key == "abc"
    assert isinstance(rt, KafkaRealtimeTrigger) and rt.group_id == "g" and rt.value_deserializer == "JSON"


@pytest.mark.parametrize(
    ("cron", "with_seconds", "problem"),
    [
        ("0 25 * * *", False, "hour 25 out of range 0-23"),
        ("*/5,61 * * * *", False, "minute 61 out of range 0-59"),
        ("0 0 0 * *", False, "day of month 0 out of range 1-31"),
        ("0 0 1 1-13 *", False, "month 13 out of range 1-12"),
        ("0 0 * * 8", False, "day of week 8 out of range 0-7"),
        ("70 0 0 * * *", True, "second 70 out of range 0-59"),
        ("*/0 * * * *", False, "invalid minute field '*/0'"),
        ("0 0 * * * *", False, "expected 5 fields, like '0 * * * *', got 6"),
        ("0 0 * * *", True, "expected 6 fields (withSeconds is set), got 5"),
        ("@sometimes", False, "unknown shortcut, use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"),
    ],
)
def test_invalid_cron_says_what_is_wrong(cron, with_seconds, problem):
    with pytest.raises(ValueError) as info:
        Schedule.model_validate({"id": "s", "type": "Schedule", "cron": cron, "withSeconds": with_seconds})
    assert f"invalid cron expression {cron!r}: {problem}" in str(info.value)


def test_valid_cron_expressions_pass():
    for cron, with_seconds in (("0 2 * * *", False), ("*/15 9-17 * 1,6 MON-FRI", False), ("30 0 2 * * *", True), ("@daily", False)):
        assert Schedule.model_validate({"id": "s", "type": "Schedule", "cron": cron, "withSeconds": with_seconds}).cron == cron


def test_parse_flow_raises_with_every_problem():
    with pytest.raises(FlowValidationError) as info:
        parse_flow("id: x\nnamespace: n\ntasks:\n  - {id: a, type: Nope}\n  - {id: a, type: Log}\n", "f.yml")
    lines = str(info.value).splitlines()
    assert lines == [
        "f.yml:4:19: tasks[0].type: unknown task type 'Nope'",
        "f.yml:5:5: tasks[1]: missing required property 'message'",
        "f.yml:5:10: tasks[1].id: duplicate task id 'a' (first used at tasks[0])",
    ]


def test_registry_has_every_builtin_and_kestra_alias():
    registry = default_registry()
    for name in (
        "io.kestra.plugin.core.log.Log",
        "io.kestra.plugin.core.output.OutputValues",
        "io.kestra.plugin.core.debug.Return",
        "io.kestra.plugin.core.flow.Sleep",
        "io.kestra.plugin.core.execution.Fail",
        "io.kestra.plugin.core.http.Request",
        "io.kestra.plugin.scripts.shell.Commands",
        "io.kestra.plugin.scripts.python.Script",
        "io.kestra.plugin.transform.jsonata.TransformValue",
        *(f"io.kestra.plugin.core.flow.{n}" for n in ("If", "Switch", "ForEach", "Parallel", "Sequential", "AllowFailure", "Dag", "Pause", "Subflow")),
    ):
        assert registry.task(name) is not None, name
    for name in ("Schedule", "Flow", "Webhook"):
        assert registry.resolve(f"io.kestra.plugin.core.trigger.{name}", "trigger") is not None
    for name in ("RealtimeTrigger", "Trigger"):
        assert registry.resolve(f"io.kestra.plugin.kafka.{name}", "trigger") is not None
    assert registry.task("Dag") is Dag and registry.task("Switch") is Switch
    assert registry.resolve("Log", "trigger") is None


def test_registry_rejects_name_clashes_and_suggests():
    registry = Registry()
    registry.register(Log)

    class OtherLog(Task):
        type_name = "Log"

    with pytest.raises(ValueError, match="already registered"):
        registry.register(OtherLog)
    assert registry.suggest("Lgo") == "Log"
    assert registry.suggest("zzzzzz") is None


def test_entry_point_plugins_are_registered(monkeypatch):
    class Custom(Task):
        type_name = "acme.Custom"
        type_aliases = ("com.acme.Custom",)
        size: int

    class FakeEntry:
        name = "acme"

        def load(self):
            return [Custom]

    class BrokenEntry:
        name = "broken"

        def load(self):
            raise ImportError("no module named acme_broken")

    monkeypatch.setattr("harrier.core.registry.entry_points", lambda group: [FakeEntry(), BrokenEntry()])
    registry = Registry()
    registry.load_entry_points()
    assert registry.task("com.acme.Custom") is Custom
    flow = parse_flow("id: c\nnamespace: n\ntasks:\n  - {id: a, type: com.acme.Custom, size: 3}\n", registry=registry)
    assert flow.tasks[0].size == 3
