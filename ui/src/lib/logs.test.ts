import { describe, expect, it } from "vitest";
import type { LogEntry } from "../api/types";
import { LogStore, shortTime, visible } from "./logs";

const line = (offset: number, index: number, extra: Partial<LogEntry> = {}): LogEntry => ({
  executionId: "e", level: "INFO", timestamp: `2026-01-01T00:00:0${offset}.000Z`, message: `m${offset}.${index}`,
  offset, line: index, taskId: "t", ...extra,
});

describe("log store", () => {
  it("keeps each line once across a re-fetch and the live stream", () => {
    const store = new LogStore();
    expect(store.add([line(1, 0), line(1, 1)])).toBe(2);
    expect(store.add([line(1, 1), line(2, 0)])).toBe(1);
    expect(store.lines.map((l) => l.message)).toEqual(["m1.0", "m1.1", "m2.0"]);
  });

  it("puts a late page in order", () => {
    const store = new LogStore();
    store.add([line(3, 0)]);
    store.add([line(1, 0), line(2, 0)]);
    expect(store.lines.map((l) => l.offset)).toEqual([1, 2, 3]);
    expect(store.last?.offset).toBe(3);
  });

  it("filters by minimum level, task and text", () => {
    const lines = [
      line(1, 0, { level: "DEBUG", message: "connecting" }),
      line(2, 0, { level: "ERROR", message: "Connection refused", taskId: "load" }),
      line(3, 0, { level: "WARN", message: "slow", taskId: "load" }),
    ];
    expect(visible(lines, {})).toEqual([0, 1, 2]);
    expect(visible(lines, { minLevel: "WARN" })).toEqual([1, 2]);
    expect(visible(lines, { taskId: "load", text: "CONNECTION" })).toEqual([1]);
  });

  it("filters 100,000 lines to the indexes of those shown", () => {
    const many = Array.from({ length: 100_000 }, (_, i) => line(i, 0, { level: i % 10 ? "INFO" : "ERROR" }));
    const shown = visible(many, { minLevel: "ERROR", text: "m" });
    expect(shown.length).toBe(10_000);
    expect(shown[1]).toBe(10);
  });

  it("shows the time of day", () => {
    expect(shortTime("2026-01-01T10:00:00.123456+00:00")).toBe("10:00:00.123");
  });
});
