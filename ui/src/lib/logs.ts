// An execution's log lines as the page holds them: loaded pages and live lines merged in order,
// each line once (a reconnect re-reads what the stream may already have delivered), and the
// view filtered by level, task and text without copying the lines.
import type { LogEntry } from "../api/types";

export const LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] as const;

const rank = (level: string) => {
  const i = LEVELS.indexOf(level as (typeof LEVELS)[number]);
  return i < 0 ? LEVELS.indexOf("INFO") : i;
};

/** A line's identity: its batch's Kafka offset and its place in the batch, as the API and the stream give them. */
export function lineKey(line: LogEntry): string {
  if (line.offset !== undefined && line.line !== undefined) return `${line.offset}:${line.line}`;
  return `${line.timestamp}|${line.taskRunId ?? ""}|${line.message}`;
}

const order = (a: LogEntry, b: LogEntry) =>
  a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : (a.offset ?? 0) - (b.offset ?? 0) || (a.line ?? 0) - (b.line ?? 0);

export class LogStore {
  readonly lines: LogEntry[] = [];
  private readonly seen = new Set<string>();

  /** Add lines (any order); returns how many were new. */
  add(lines: Iterable<LogEntry>): number {
    let added = 0;
    let sorted = true;
    for (const line of lines) {
      const key = lineKey(line);
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      const last = this.lines[this.lines.length - 1];
      if (last && order(last, line) > 0) sorted = false;
      this.lines.push(line);
      added++;
    }
    if (!sorted) this.lines.sort(order);
    return added;
  }

  get size(): number {
    return this.lines.length;
  }

  get last(): LogEntry | undefined {
    return this.lines[this.lines.length - 1];
  }
}

export interface LogFilter {
  minLevel?: string;
  taskId?: string;
  text?: string;
}

/** Indexes of the lines that pass the filter (all of them when it is empty). */
export function visible(lines: readonly LogEntry[], filter: LogFilter): number[] {
  const min = filter.minLevel ? rank(filter.minLevel) : 0;
  const text = filter.text?.trim().toLowerCase() ?? "";
  const out: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (min && rank(line.level) < min) continue;
    if (filter.taskId && line.taskId !== filter.taskId) continue;
    if (text && !line.message.toLowerCase().includes(text)) continue;
    out.push(i);
  }
  return out;
}

/** `2026-01-01T10:00:00.123456Z` -> `10:00:00.123` (the page shows the date once). */
export function shortTime(iso: string): string {
  const match = /T(\d\d:\d\d:\d\d(?:\.\d{1,3})?)/.exec(iso);
  return match ? match[1] : iso;
}
