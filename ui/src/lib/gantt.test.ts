import { describe, expect, it } from "vitest";
import type { Execution, ExecutionState, TaskRun } from "../api/types";
import { axisOf, formatDuration, ganttRows } from "./gantt";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();

/** Kestra's State of changes at these moments, the last one current. */
function state(changes: [string, number][], ended: boolean): ExecutionState {
  const histories = changes.map(([name, ms]) => ({ state: name, date: at(ms) }));
  const last = histories[histories.length - 1];
  return { current: last.state, histories, startDate: histories[0].date, endDate: ended ? last.date : null };
}

function run(id: string, taskId: string, from: number, to: number | null, extra: Partial<TaskRun> & { end?: string } = {}): TaskRun {
  const { end, ...rest } = extra;
  const changes: [string, number][] = [["CREATED", from], ["RUNNING", from]];
  if (to !== null) changes.push([end ?? "SUCCESS", to]);
  return { id, executionId: "e", namespace: "n", flowId: "f", taskId, state: state(changes, to !== null), ...rest };
}

function execution(runs: TaskRun[], current = "RUNNING", end?: number): Execution {
  const changes: [string, number][] = [["CREATED", 0]];
  if (end !== undefined) changes.push([current, end]);
  else if (current !== "CREATED") changes.push([current, 0]);
  return { id: "e", namespace: "n", flowId: "f", flowRevision: 1, state: state(changes, end !== undefined), taskRunList: runs };
}

describe("gantt geometry", () => {
  it("places bars on an axis from the execution's start to its end", () => {
    const rows = ganttRows(execution([run("a", "first", 0, 500), run("b", "second", 500, 1000)], "SUCCESS", 1000), T0 + 5000);
    expect(rows.map((r) => [r.label, r.bar.left, r.bar.width])).toEqual([["first", 0, 50], ["second", 50, 50]]);
  });

  it("grows a running bar up to now", () => {
    const exec = execution([run("a", "sleep", 0, null)]);
    const early = ganttRows(exec, T0 + 1000)[0];
    const later = ganttRows(exec, T0 + 4000)[0];
    expect(early.running).toBe(true);
    expect(axisOf(exec, T0 + 4000).end).toBe(T0 + 4000);
    expect([early.durationMs, later.durationMs]).toEqual([1000, 4000]);
  });

  it("folds a loop's iterations into one group row, worst state first, and opens it on demand", () => {
    const loop = run("l", "each", 0, 900);
    const iterations = [0, 1, 2].map((i) =>
      run(`i${i}`, "square", i * 100, i * 100 + 100, { parentTaskRunId: "l", value: String(i), end: i === 1 ? "FAILED" : "SUCCESS" }),
    );
    const exec = execution([loop, ...iterations], "FAILED", 900);
    const closed = ganttRows(exec, T0 + 900);
    expect(closed.map((r) => r.label)).toEqual(["each", "square × 3"]);
    expect(closed[1].state).toBe("FAILED");
    expect(closed[1].depth).toBe(1);
    const opened = ganttRows(exec, T0 + 900, new Set([closed[1].key]));
    expect(opened.map((r) => r.label)).toEqual(["each", "square × 3", "square [0]", "square [1]", "square [2]"]);
  });

  it("draws one segment per attempt", () => {
    const retried = run("r", "flaky", 0, 1000, {
      attempts: [
        { state: state([["RUNNING", 0], ["FAILED", 200]], true) },
        { state: state([["RUNNING", 600], ["SUCCESS", 1000]], true) },
      ],
    });
    const [row] = ganttRows(execution([retried], "SUCCESS", 1000), T0 + 1000);
    expect(row.attempts.map((a) => [a.state, a.left, a.width])).toEqual([["FAILED", 0, 20], ["SUCCESS", 60, 40]]);
  });

  it("formats durations for people", () => {
    expect([formatDuration(420), formatDuration(3200), formatDuration(125_000), formatDuration(3_780_000)])
      .toEqual(["420 ms", "3.20 s", "2 min 5 s", "1 h 3 min"]);
  });
});
