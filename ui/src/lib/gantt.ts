// Gantt geometry: task runs as rows of bars on one time axis, in the order of the task tree,
// with the iterations of a loop folded into one group row. Pure, so it is tested alone.
import { TERMINAL, type Execution, type ExecutionState, type TaskRun } from "../api/types";

export interface Segment {
  /** Left edge and width, in percent of the axis. */
  left: number;
  width: number;
  state: string;
  label: string;
}

export interface Row {
  key: string;
  label: string;
  depth: number;
  state: string;
  running: boolean;
  bar: Segment;
  /** One segment per attempt (retries side by side inside the bar). */
  attempts: Segment[];
  /** For a group: how many task runs it folds, and whether it is open. */
  count?: number;
  open?: boolean;
  taskRunId?: string;
  durationMs: number;
}

export interface Axis {
  start: number;
  end: number;
}

const time = (iso: string | null | undefined) => (iso ? Date.parse(iso) : NaN);

function endOf(run: TaskRun): number | null {
  if (!TERMINAL.has(run.state.current)) return null;
  const histories = run.state.histories;
  return time(histories[histories.length - 1]?.date);
}

export function axisOf(execution: Execution, now: number): Axis {
  const start = time(execution.state.startDate ?? execution.state.histories[0]?.date);
  const ends = (execution.taskRunList ?? []).map((r) => endOf(r) ?? now);
  const ended = execution.state.endDate;
  const end = ended && TERMINAL.has(execution.state.current) ? time(ended) : now;
  return { start, end: Math.max(start + 1, end, ...ends) };
}

function segment(axis: Axis, from: number, to: number, state: string, label: string): Segment {
  const span = axis.end - axis.start;
  const left = ((from - axis.start) / span) * 100;
  // A bar is never thinner than a hair, so an instant task stays visible.
  const width = Math.max(((to - from) / span) * 100, 0.3);
  return { left: clamp(left), width: Math.min(width, 100 - clamp(left)), state, label };
}

const clamp = (x: number) => Math.min(Math.max(x, 0), 99.7);

/** States worst first: a group shows the worst state among its runs. */
const SEVERITY = ["FAILED", "KILLED", "KILLING", "WARNING", "RUNNING", "RETRYING", "PAUSED", "QUEUED", "CREATED", "RESTARTED", "SUCCESS", "SKIPPED", "CANCELLED", "RETRIED"];
const worst = (states: string[]) =>
  states.reduce((a, b) => ((SEVERITY.indexOf(b) + 1 || 99) < (SEVERITY.indexOf(a) + 1 || 99) ? b : a));

function runRow(run: TaskRun, axis: Axis, now: number, depth: number): Row {
  const from = time(run.state.histories[0]?.date);
  const to = endOf(run) ?? now;
  const state = run.state.current;
  // Attempts counted from 1 for people (Kestra numbers them from 0).
  const attempts = (run.attempts ?? []).map((a, i) =>
    segment(axis, time(a.state.startDate), a.state.endDate ? time(a.state.endDate) : now, a.state.current, `attempt ${i + 1}`),
  );
  const label = run.value !== undefined && run.value !== null ? `${run.taskId} [${run.value}]` : run.taskId;
  return {
    key: run.id, label, depth, state, running: !TERMINAL.has(state),
    bar: segment(axis, from, to, state, label), attempts, taskRunId: run.id, durationMs: to - from,
  };
}

/**
 * The rows to draw. Children follow their parent; runs of the same task under the same
 * parent (a loop's iterations) fold into one group row unless its key is in `open`.
 */
export function ganttRows(execution: Execution, now: number, open: ReadonlySet<string> = new Set()): Row[] {
  const runs = execution.taskRunList ?? [];
  const axis = axisOf(execution, now);
  const children = new Map<string | undefined, TaskRun[]>();
  for (const run of runs) {
    const parent = run.parentTaskRunId ?? undefined;
    const list = children.get(parent);
    if (list) list.push(run);
    else children.set(parent, [run]);
  }
  const rows: Row[] = [];
  const visit = (parent: string | undefined, depth: number) => {
    const list = children.get(parent) ?? [];
    const byTask = new Map<string, TaskRun[]>();
    for (const run of list) {
      const same = byTask.get(run.taskId);
      if (same) same.push(run);
      else byTask.set(run.taskId, [run]);
    }
    for (const [taskId, same] of byTask) {
      if (same.length === 1) {
        rows.push(runRow(same[0], axis, now, depth));
        visit(same[0].id, depth + 1);
        continue;
      }
      const key = `${parent ?? ""}/${taskId}`;
      const from = Math.min(...same.map((r) => time(r.state.histories[0]?.date)));
      const to = Math.max(...same.map((r) => endOf(r) ?? now));
      const state = worst(same.map((r) => r.state.current));
      const isOpen = open.has(key);
      rows.push({
        key, label: `${taskId} × ${same.length}`, depth, state, running: same.some((r) => !TERMINAL.has(r.state.current)),
        bar: segment(axis, from, to, state, taskId), attempts: [], count: same.length, open: isOpen, durationMs: to - from,
      });
      if (isOpen) {
        for (const run of same) {
          rows.push(runRow(run, axis, now, depth + 1));
          visit(run.id, depth + 2);
        }
      }
    }
  };
  visit(undefined, 0);
  return rows;
}

/** How long a state lasted: from its start to its end, or to `now` while it has none. */
export function elapsedMs(state: ExecutionState, now: number): number {
  return (state.endDate ? time(state.endDate) : now) - time(state.startDate ?? state.histories[0]?.date);
}

/** "420 ms", "3.2 s", "2 min 5 s", "1 h 3 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
