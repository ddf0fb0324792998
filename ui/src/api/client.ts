// Every call to the REST API goes through `request`: credentials added, errors made readable.
import { authHeader } from "./auth";

export interface Problem {
  line: number;
  column: number;
  path: string;
  message: string;
}

/** An API answer that was not 2xx, with the server's one-line message and its problems. */
export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
    public problems: (Problem | string)[] = [],
  ) {
    super(message);
  }
}

type Unauthorized = () => void;
let onUnauthorized: Unauthorized = () => {};

/** What to do on a 401 (the router sends the user to the login page). */
export function handleUnauthorized(handler: Unauthorized): void {
  onUnauthorized = handler;
}

export function notifyUnauthorized(): void {
  onUnauthorized();
}

/** What every call and stream sends: the credentials, and a mark that asks the server not to
 * answer a 401 with a challenge (the browser would show its own login dialog over the page). */
export function headers(extra: Record<string, string> = {}): Record<string, string> {
  const all = { ...extra, "X-Requested-With": "XMLHttpRequest" };
  return authHeader.value ? { ...all, Authorization: authHeader.value } : all;
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: headers(init.headers as Record<string, string>) });
  } catch {
    throw new ApiError(0, "the Harrier server did not answer; is it running?");
  }
  if (response.status === 401) notifyUnauthorized();
  if (!response.ok) {
    throw await errorOf(response);
  }
  return response;
}

export async function getJson<T>(path: string, params?: Record<string, unknown>): Promise<T> {
  return (await (await request(withQuery(path, params))).json()) as T;
}

export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "Content-Type": "application/json" };
  }
  const response = await request(path, init);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

export async function sendYaml<T>(method: string, path: string, source: string): Promise<T> {
  const response = await request(path, { method, body: source, headers: { "Content-Type": "application/x-yaml" } });
  return (await response.json()) as T;
}

/** `path?a=1&b=x&b=y`; empty values are left out, arrays repeat the key. */
export function withQuery(path: string, params?: Record<string, unknown>): string {
  if (!params) return path;
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== "") query.append(key, String(item));
    }
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = await response.json();
    return new ApiError(response.status, String(body.message ?? response.statusText), body.problems ?? []);
  } catch {
    return new ApiError(response.status, `${response.status} ${response.statusText}`);
  }
}
