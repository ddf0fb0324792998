// The shapes the REST API answers with (snake_case, as the webserver writes them).

export type State =
  | "CREATED" | "QUEUED" | "RUNNING" | "PAUSED" | "RETRYING" | "RESTARTED" | "KILLING"
  | "SUCCESS" | "WARNING" | "FAILED" | "KILLED" | "CANCELLED" | "SKIPPED" | "RETRIED";

export const TERMINAL: ReadonlySet<string> = new Set([
  "SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "SKIPPED", "RETRIED",
]);

export interface Page<T> {
  items: T[];
  total: number;
  total_exact: boolean;
  next_cursor: string | null;
}

export interface InputDecl {
  id: string;
  type: string;
  description?: string;
  displayName?: string;
  required?: boolean;
  defaults?: unknown;
  values?: unknown[];
  options?: unknown[];
  allowCustomValue?: boolean;
  min?: number | string;
  max?: number | string;
  minLength?: number;
  maxLength?: number;
  itemType?: string;
  after?: string;
  before?: string;
}

export interface TriggerInfo {
  id: string;
  type: string;
  disabled?: boolean;
  cron?: string;
  nextDate?: string | null;
}

export interface Flow {
  namespace: string;
  id: string;
  revision: number;
  source: string;
  description?: string | null;
  labels?: Record<string, string>;
  disabled?: boolean;
  inputs?: InputDecl[];
  triggers?: TriggerInfo[];
  last_execution?: { id: string; state: string; start_date?: string } | null;
}

export interface GraphNode {
  id: string;
  type: string;
  parent: string | null;
  branch: string;
  flowable: boolean;
  onResume?: InputDecl[];
}

export interface Graph {
  nodes: GraphNode[];
  edges: { from: string; to: string }[];
}

export interface StateChange {
  state: string;
  at: string;
}

export interface Attempt {
  number: number;
  state: string;
  started_at: string;
  ended_at?: string;
  error?: string;
}

export interface TaskRun {
  id: string;
  task_id: string;
  parent_task_run_id?: string;
  value?: unknown;
  iteration?: number[];
  state: string;
  history: StateChange[];
  attempts?: Attempt[];
  outputs?: Record<string, unknown>;
  error?: string;
}

export interface Execution {
  id: string;
  namespace: string;
  flow_id: string;
  flow_revision?: number;
  state: string;
  history?: StateChange[];
  inputs?: Record<string, unknown>;
  labels?: Record<string, string>;
  trigger?: Record<string, unknown>;
  parent?: { execution_id: string; namespace?: string; flow_id?: string; task_run_id?: string };
  task_runs?: TaskRun[];
  outputs?: Record<string, unknown> | null;
  created_at?: string;
  ended_at?: string;
  error?: string;
}

/** A row of the executions search (the indexed summary, not the whole snapshot). */
export interface ExecutionSummary {
  id: string;
  namespace: string;
  flow_id: string;
  flow_revision?: number;
  state: string;
  labels?: Record<string, string>;
  start_date?: string;
  end_date?: string | null;
  duration_ms?: number | null;
  parent_id?: string | null;
}

export interface LogLine {
  execution_id: string;
  namespace?: string;
  flow_id?: string;
  task_id?: string;
  task_run_id?: string;
  attempt?: number;
  level: string;
  timestamp: string;
  message: string;
  offset?: number;
  line?: number;
}

export interface StatsBucket {
  at: string;
  counts: Record<string, number>;
}

export interface ExecutionStats {
  interval: string;
  buckets: StatsBucket[];
}
