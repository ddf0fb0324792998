// The REST routes the UI calls, one function each.
import { getJson, request, sendJson, sendYaml, withQuery, type Problem } from "./client";
import type { Execution, ExecutionStats, Flow, Graph, LogEntry, Paged } from "./types";

const API = "/api/v1";

const path = (...parts: string[]) => parts.map(encodeURIComponent).join("/");

export const listFlows = () => getJson<Flow[]>(`${API}/flows`);

export const searchFlows = (params: { q?: string; namespace?: string; page?: number; size?: number }) =>
  getJson<Paged<Flow>>(`${API}/flows/search`, params);

export const getFlow = (namespace: string, id: string, revision?: number) =>
  getJson<Flow>(`${API}/flows/${path(namespace, id)}`, { revision });

export const flowRevisions = (namespace: string, id: string) =>
  getJson<Flow[]>(`${API}/flows/${path(namespace, id)}/revisions`);

export const flowGraph = (namespace: string, id: string, revision?: number) =>
  getJson<Graph>(`${API}/flows/${path(namespace, id)}/graph`, { revision });

export interface Validation {
  valid: boolean;
  namespace: string | null;
  id: string | null;
  problems: Problem[];
}

export const validateFlow = (source: string) => sendYaml<Validation>("POST", `${API}/flows/validate`, source);

export const deployFlow = (source: string) => sendYaml<Flow>("POST", `${API}/flows`, source);

export const deleteFlow = (namespace: string, id: string) =>
  request(`${API}/flows/${path(namespace, id)}`, { method: "DELETE" });

export interface ExecutionQuery {
  namespace?: string;
  flowId?: string;
  state?: string[];
  labels?: string[];
  startDate?: string;
  endDate?: string;
  page?: number;
  size?: number;
}

export const searchExecutions = (query: ExecutionQuery) =>
  getJson<Paged<Execution>>(`${API}/executions/search`, { ...query });

export const getExecution = (id: string) => getJson<Execution>(`${API}/executions/${path(id)}`);

/** Start an execution; FILE inputs make it a multipart form, anything else is JSON. */
export async function createExecution(
  namespace: string, id: string, values: Record<string, unknown>, labels: string[] = [],
): Promise<Execution> {
  const url = withQuery(`${API}/executions/${path(namespace, id)}`, { labels });
  const files = Object.entries(values).filter(([, v]) => v instanceof File);
  if (files.length === 0) return sendJson<Execution>("POST", url, values);
  const form = new FormData();
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === null) continue;
    form.append(key, value instanceof File ? value : typeof value === "string" ? value : JSON.stringify(value));
  }
  return (await (await request(url, { method: "POST", body: form })).json()) as Execution;
}

export const killExecution = (id: string) => sendJson("DELETE", `${API}/executions/${path(id)}/kill`);

export const resumeExecution = (id: string, inputs: Record<string, unknown>) =>
  sendJson("POST", `${API}/executions/${path(id)}/resume`, inputs);

export const restartExecution = (id: string) => sendJson("POST", `${API}/executions/${path(id)}/restart`);

export interface LogQuery {
  q?: string;
  namespace?: string;
  flowId?: string;
  executionId?: string;
  taskId?: string;
  minLevel?: string;
  startDate?: string;
  endDate?: string;
  size?: number;
  cursor?: string;
}

export const searchLogs = (query: LogQuery) => getJson<Paged<LogEntry>>(`${API}/logs/search`, { ...query });

/** One page of an execution's lines, oldest first (GET /logs/{id} lists them all at once:
 * an execution can hold 100,000). */
export const executionLogs = (id: string, params: { cursor?: string; size?: number; minLevel?: string } = {}) =>
  searchLogs({ executionId: id, ...params });

export const logsDownloadUrl = (id: string) => `${API}/logs/${path(id)}/download`;

export const executionStats = (params: { startDate?: string; endDate?: string; namespace?: string }) =>
  getJson<ExecutionStats>(`${API}/stats/executions`, params);

export const flowNamespaces = () => getJson<{ namespace: string; count: number }[]>(`${API}/flows/namespaces`);
