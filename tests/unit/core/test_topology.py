"""The task graph the API draws a flow's topology from."""

from __future__ import annotations

from harrier.core.topology import flow_graph
from harrier.core.validation import parse_flow

LOG = "io.kestra.plugin.core.log.Log"

FLOW = f"""
id: shapes
namespace: tests
tasks:
  - id: first
    type: {LOG}
    message: a
  - id: check
    type: io.kestra.plugin.core.flow.If
    condition: "{{{{ true }}}}"
    then:
      - id: yes1
        type: {LOG}
        message: a
      - id: yes2
        type: {LOG}
        message: a
    else:
      - id: no1
        type: {LOG}
        message: a
  - id: pick
    type: Switch
    value: b
    cases:
      b:
        - id: caseb
          type: {LOG}
          message: a
    defaults:
      - id: other
        type: {LOG}
        message: a
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [1, 2]
    concurrencyLimit: 0
    tasks:
      - id: step1
        type: {LOG}
        message: a
      - id: step2
        type: {LOG}
        message: a
  - id: fan
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: p1
        type: {LOG}
        message: a
      - id: p2
        type: {LOG}
        message: a
  - id: dag
    type: io.kestra.plugin.core.flow.Dag
    tasks:
      - task:
          id: d1
          type: {LOG}
          message: a
      - task:
          id: d2
          type: {LOG}
          message: a
        dependsOn: [d1]
      - task:
          id: d3
          type: {LOG}
          message: a
        dependsOn: [d1, d2]
  - id: approve
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOLEAN
        defaults: true
errors:
  - id: alert
    type: {LOG}
    message: a
finally:
  - id: cleanup
    type: {LOG}
    message: a
"""


def test_nodes_name_their_group_and_branch() -> None:
    graph = flow_graph(parse_flow(FLOW))
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert list(nodes)[:4] == ["first", "check", "yes1", "yes2"]
    assert nodes["first"] == {"id": "first", "type": "Log", "parent": None, "branch": "tasks", "flowable": False}
    assert nodes["check"] == {"id": "check", "type": "If", "parent": None, "branch": "tasks", "flowable": True}
    assert (nodes["no1"]["parent"], nodes["no1"]["branch"]) == ("check", "else")
    assert (nodes["caseb"]["parent"], nodes["caseb"]["branch"]) == ("pick", "b")
    assert nodes["other"]["branch"] == "defaults"
    assert (nodes["d2"]["parent"], nodes["d2"]["branch"]) == ("dag", "tasks")
    assert (nodes["alert"]["branch"], nodes["cleanup"]["branch"]) == ("errors", "finally")
    assert nodes["each"]["type"] == "ForEach"
    assert nodes["approve"]["onResume"] == [
        {"id": "approved", "type": "BOOLEAN", "required": True, "defaults": True, "allowCustomValue": False}
    ]
    assert "onResume" not in nodes["first"]


def test_edges_follow_run_order() -> None:
    edges = {(e["from"], e["to"]) for e in flow_graph(parse_flow(FLOW))["edges"]}
    assert edges == {
        # top-level list, in order
        ("first", "check"), ("check", "pick"), ("pick", "each"), ("each", "fan"), ("fan", "dag"), ("dag", "approve"),
        ("yes1", "yes2"),
        # a ForEach iteration runs its tasks in order, even with concurrent iterations
        ("step1", "step2"),
        # Dag: dependsOn, not document order
        ("d1", "d2"), ("d1", "d3"), ("d2", "d3"),
    }
    # Parallel children run side by side; single-task lists and errors/finally of one task have no edge.


def test_a_one_task_flow_has_no_edges() -> None:
    flow = parse_flow(f"id: one\nnamespace: tests\ntasks:\n  - id: only\n    type: {LOG}\n    message: a\n")
    assert flow_graph(flow) == {
        "nodes": [{"id": "only", "type": "Log", "parent": None, "branch": "tasks", "flowable": False}],
        "edges": [],
    }
