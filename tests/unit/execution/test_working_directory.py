"""WorkingDirectory: its children run one at a time, each worker task naming the directory it
starts from (the previous child's, or the inputFiles for the first), and the directory's
output files, as its children report them, are its outputs."""

from __future__ import annotations

from harrier.core.messages import WorkerResult
from harrier.core.states import State
from harrier.core.transitions.simulation import Simulation

FLOW = """
id: f
namespace: test
inputs:
  - {id: greeting, type: STRING, defaults: hello}
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    inputFiles:
      in.txt: "{{ inputs.greeting }}"
    outputFiles: ["*.csv"]
    tasks:
      - {id: first, type: io.kestra.plugin.scripts.shell.Commands, commands: ["cp in.txt out.csv"]}
      - {id: second, type: io.kestra.plugin.scripts.shell.Commands, commands: ["cat out.csv"]}
  - {id: after, type: Log, message: "{{ outputs.wdir.outputFiles['out.csv'] }}"}
"""


def _done(sim: Simulation, task_id: str, files: dict[str, str] | None) -> None:
    task = next(t for t in sim.held.values() if t.task_id == task_id)
    del sim.held[task.task_run_id]
    sim.queue.append(WorkerResult(
        execution_id=task.execution_id, task_run_id=task.task_run_id, attempt=task.attempt, state=State.SUCCESS,
        started_at=sim.now, ended_at=sim.now, directory_files=files,
    ))
    sim.run()


def test_children_chain_their_directory_and_report_its_output_files(flow) -> None:
    sim = Simulation([flow(FLOW)], worker=lambda task: None)
    sim.create("test/f")
    sim.run()
    first = sim.worker_tasks[-1]
    assert first.task_id == "first" and first.working_directory is not None
    wdir = sim.execution().task_runs[0]
    assert (first.working_directory.task_id, first.working_directory.task_run_id) == ("wdir", wdir.id)
    assert first.working_directory.previous is None
    assert first.working_directory.input_files == {"in.txt": "hello"}
    assert first.working_directory.output_files == ["*.csv"]

    _done(sim, "first", {"out.csv": "kestra:///test/f/executions/e1/tasks/wdir/x/out.csv"})
    second = sim.worker_tasks[-1]
    assert second.task_id == "second" and second.working_directory is not None
    assert (second.working_directory.previous, second.working_directory.input_files) == (first.task_run_id, None)

    _done(sim, "second", {"out.csv": "kestra:///test/f/executions/e1/tasks/wdir/x/out.csv", "b.csv": "kestra:///b"})
    after = sim.worker_tasks[-1]
    assert after.task_id == "after" and after.working_directory is None
    assert after.context["outputs"]["wdir"]["outputFiles"]["out.csv"].endswith("/out.csv")
    assert sim.execution().task_runs[0].outputs == {"outputFiles": {"out.csv": "kestra:///test/f/executions/e1/tasks/wdir/x/out.csv", "b.csv": "kestra:///b"}}
    assert sim.states()["wdir"] == [State.SUCCESS]


def test_input_files_that_do_not_render_to_a_mapping_fail_the_first_child(flow) -> None:
    bad = FLOW.replace('    inputFiles:\n      in.txt: "{{ inputs.greeting }}"\n', '    inputFiles: "{{ inputs.greeting }}"\n')
    sim = Simulation([flow(bad)], worker=lambda task: None)
    sim.create("test/f")
    sim.run()
    assert sim.states()["first"] == [State.FAILED]
    assert "wdir.inputFiles: expected a mapping" in (sim.execution().task_runs[1].error or "")
