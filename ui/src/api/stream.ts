// An execution's live events over Server-Sent Events, through fetch so the credentials travel
// in a header (EventSource cannot send one). A lost connection is retried with a growing
// delay, and fetch-event-source sends the last frame's id as Last-Event-ID: the server resumes
// the stream after it (the gap read back from Kafka, nothing twice). `onOpen` runs on every
// (re)connection; the caller's re-read of the logs merges by each line's identity.
import { fetchEventSource } from "@microsoft/fetch-event-source";
import { headers, notifyUnauthorized } from "./client";
import type { Execution, LogEntry } from "./types";

export interface FollowHandlers {
  onExecution(execution: Execution): void;
  onLog(line: LogEntry): void;
  onOpen(): void;
  onEnd(): void;
  onError(message: string): void;
  /** The stream was lost and is being retried. */
  onRetry(): void;
}

class Fatal extends Error {}

/** Follow execution `id` until it ends or `stop()` is called. */
export function follow(id: string, handlers: FollowHandlers): { stop(): void } {
  const controller = new AbortController();
  let delay = 500;
  fetchEventSource(`/api/v1/executions/${encodeURIComponent(id)}/follow`, {
    signal: controller.signal,
    headers: headers(),
    // A hidden tab lets its stream go and reopens it when shown (the snapshot comes first, the
    // logs catch up): a browser opens at most six HTTP/1.1 connections to one host, so tabs
    // that each held one would starve the seventh.
    openWhenHidden: false,
    async onopen(response) {
      if (response.status === 401) {
        notifyUnauthorized();
        throw new Fatal("authentication required");
      }
      if (response.status === 404) throw new Fatal(`execution ${id} not found`);
      if (!response.ok) throw new Error(`the live stream answered ${response.status}`);
      handlers.onOpen();
      delay = 500;
    },
    // Kestra's frames: an Execution per change (id "progress", the last one id "end"), and
    // Harrier's named log events.
    onmessage(message) {
      if (message.event === "log") handlers.onLog(JSON.parse(message.data) as LogEntry);
      else if (!message.event || message.event === "message") {
        handlers.onExecution(JSON.parse(message.data) as Execution);
        if (message.id === "end") {
          handlers.onEnd();
          controller.abort();
        }
      }
      // "dropped": the server gave up on us; the stream closes and onclose reconnects.
    },
    onclose() {
      // Closed by the server without an end (a restart, a drop): reconnect.
      throw new Error("the live stream closed");
    },
    onerror(error) {
      if (error instanceof Fatal) {
        handlers.onError(error.message);
        throw error;
      }
      handlers.onRetry();
      delay = Math.min(delay * 2, 10_000);
      return delay;
    },
  }).catch(() => {});
  return { stop: () => controller.abort() };
}
