"""A flow's tasks as a graph for drawing: nodes in their flowable groups, edges in run order."""

from __future__ import annotations

from typing import Any

from harrier.core.flowinfo import input_json
from harrier.core.flows import Flow
from harrier.core.tasks.base import Task
from harrier.core.tasks.flowable import Dag, Parallel, Pause, Switch
from harrier.core.tree import walk

__all__ = ["flow_graph"]


def flow_graph(flow: Flow) -> dict[str, Any]:
    """``{"nodes": [...], "edges": [...]}`` of every task of ``flow``, depth first in document order.

    A node is ``{id, type, parent, branch, flowable}``: ``type`` is the short type name
    (``Log``, ``ForEach``), ``parent`` the id of the enclosing flowable (None at the top),
    ``branch`` the list the task is in (``tasks``, ``then``, ``else``, ``errors``,
    ``finally``, ``defaults``, or a Switch's case key). A Pause that declares ``onResume``
    adds those inputs, as the flow's inputs are described.

    Edges (``{from, to}``) say what runs after what, within one list only:

    - a list runs in order, so each task follows the one before it;
    - a Dag's tasks follow the tasks they ``dependsOn`` instead;
    - a Parallel's tasks run side by side, so they get no edges between them;
    - a ForEach's tasks do get them: its concurrency runs iterations side by side, while
      each iteration runs the tasks in order, and the graph shows one iteration.
    """
    nodes: list[dict[str, Any]] = []
    lists: dict[tuple[str | None, str], list[str]] = {}
    parents: dict[str | None, Task] = {}
    for place in walk(flow):
        task, parent = place.task, place.parent
        branch = place.branch
        if isinstance(parent, Switch) and branch == "cases":
            # The path ends (..., "cases", key, index): the case key names the branch.
            branch = str(place.path[-2])
        parent_id = parent.id if parent is not None else None
        node: dict[str, Any] = {
            "id": task.id, "type": type(task).type_name, "parent": parent_id, "branch": branch,
            "flowable": task.is_flowable,
        }
        if isinstance(task, Pause) and task.on_resume:
            node["onResume"] = [input_json(declared) for declared in task.on_resume]
        nodes.append(node)
        lists.setdefault((parent_id, branch), []).append(task.id)
        if parent is not None:
            parents[parent_id] = parent
    edges: list[dict[str, str]] = []
    for (parent_id, branch), ids in lists.items():
        parent = parents.get(parent_id)
        if isinstance(parent, Dag) and branch == "tasks":
            edges.extend(
                {"from": dep, "to": node.task.id} for node in parent.tasks for dep in node.depends_on or ()
            )
        elif not (isinstance(parent, Parallel) and branch == "tasks"):
            edges.extend({"from": a, "to": b} for a, b in zip(ids, ids[1:]))
    return {"nodes": nodes, "edges": edges}
