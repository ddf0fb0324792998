// An execution's logs on the page: the history read page by page from the API, the live lines
// from the stream, merged once each. After a reconnect the gap is read again from the API.
import { shallowRef } from "vue";
import { executionLogs } from "../api/harrier";
import type { LogEntry } from "../api/types";
import { LogStore } from "./logs";

const PAGE = 1000;
// How long a line takes to become searchable (the indexer's batch, the index refresh): a line
// logged just before the stream opened is in neither the stream nor an immediate read.
const INDEXING_MS = 2500;

export function useLiveLogs(executionId: string) {
  const store = new LogStore();
  /** Bumped on every change so views recompute (the store itself is not reactive: 100k lines). */
  const version = shallowRef(0);
  const loading = shallowRef(false);
  const error = shallowRef("");
  let reading: Promise<void> | null = null;

  function add(lines: LogEntry[]) {
    if (store.add(lines)) version.value++;
  }

  /** Read every page of the history; lines already held are skipped. */
  function readAll(): Promise<void> {
    if (reading) return reading;
    loading.value = true;
    reading = (async () => {
      try {
        let cursor: string | undefined;
        do {
          const page = await executionLogs(executionId, { size: PAGE, cursor });
          add(page.results);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        error.value = "";
      } catch (e) {
        error.value = `could not read the logs: ${(e as Error).message}`;
      } finally {
        loading.value = false;
        reading = null;
      }
    })();
    return reading;
  }

  let later: ReturnType<typeof setTimeout> | undefined;

  /** Read the history now and once more when what was logged meanwhile is searchable. */
  function catchUp(): void {
    readAll();
    clearTimeout(later);
    later = setTimeout(() => readAll(), INDEXING_MS);
  }

  function stop(): void {
    clearTimeout(later);
  }

  return { store, version, loading, error, add, readAll, catchUp, stop };
}
