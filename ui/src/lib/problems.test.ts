import { describe, expect, it } from "vitest";
import { Text } from "@codemirror/state";
import { rangeOf } from "./problems";

const doc = Text.of(["id: x", "namespace: y", "tasks:", "  - id: a"]);

describe("problem ranges", () => {
  it("starts at the line and column and runs to the end of the line", () => {
    const { from, to } = rangeOf(doc, { line: 4, column: 5, path: "tasks[0]", message: "m" });
    expect(doc.sliceString(from, to)).toBe("id: a");
  });

  it("clamps a line or column past the end", () => {
    const past = rangeOf(doc, { line: 99, column: 99, path: "", message: "m" });
    expect(past.from).toBe(doc.length);
    expect(rangeOf(doc, { line: 0, column: 0, path: "", message: "m" }).from).toBe(0);
  });
});
