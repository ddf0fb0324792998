// The shapes the REST API answers with: Kestra 1.x's bodies, camelCase (harrier/webserver/kestra.py).

export type State =
  | "CREATED" | "QUEUED" | "RUNNING" | "PAUSED" | "RETRYING" | "RESTARTED" | "KILLING"
  | "SUCCESS" | "WARNING" | "FAILED" | "KILLED" | "CANCELLED" | "SKIPPED" | "RETRIED";

export const TERMINAL: ReadonlySet<string> = new Set([
  "SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "SKIPPED", "RETRIED",
]);

/** Kestra's PagedResults; `nextCursor` (Harrier's) pages past the first 10,000 results. */
export interface Paged<T> {
  results: T[];
  total: number;
  nextCursor?: string | null;
}

export interface Label {
  key: string;
  value: string;
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
  labels?: Label[];
  disabled?: boolean;
  deleted?: boolean;
  inputs?: InputDecl[];
  triggers?: TriggerInfo[];
  /** In search results: the flow's newest execution. */
  lastExecution?: { id: string; state: string; startDate?: string | null } | null;
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

export interface StateHistory {
  state: string;
  date: string;
}

/** Kestra's State: `endDate` is null until the state is terminal or paused. */
export interface ExecutionState {
  current: string;
  histories: StateHistory[];
  startDate?: string | null;
  endDate?: string | null;
  duration?: string | null;
}

export interface Attempt {
  state: ExecutionState;
  error?: string;
}

export interface TaskRun {
  id: string;
  executionId: string;
  namespace: string;
  flowId: string;
  taskId: string;
  parentTaskRunId?: string | null;
  /** A ForEach item, as text. */
  value?: string | null;
  /** Harrier's: the ForEach indexes, outermost first. */
  iterationPath?: number[];
  state: ExecutionState;
  attempts?: Attempt[];
  outputs?: Record<string, unknown>;
  error?: string;
}

/** Kestra's Execution; search results leave `taskRunList` out. */
export interface Execution {
  id: string;
  namespace: string;
  flowId: string;
  flowRevision: number;
  state: ExecutionState;
  taskRunList?: TaskRun[];
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  labels?: Label[];
  trigger?: { id: string; type: string; variables?: Record<string, unknown> } | null;
  parentId?: string | null;
  parentTaskRunId?: string | null;
  originalId?: string;
  metadata?: { attemptNumber: number; originalCreatedDate?: string | null };
  error?: string;
}

/** Kestra's LogEntry; `offset` and `line` (the batch's Kafka offset, the line's place in it)
 * identify a line across the live stream and the API. */
export interface LogEntry {
  executionId: string;
  namespace?: string;
  flowId?: string;
  taskId?: string | null;
  taskRunId?: string | null;
  attemptNumber?: number | null;
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
