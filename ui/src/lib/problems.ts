// Where a flow problem sits in the editor's document.
import type { Text } from "@codemirror/state";
import type { Problem } from "../api/client";

/** The range from the problem's line and column (1-based) to the end of its line, clamped to the document. */
export function rangeOf(doc: Text, problem: Problem): { from: number; to: number } {
  const line = doc.line(Math.min(Math.max(problem.line, 1), doc.lines));
  const from = Math.min(line.from + Math.max(problem.column - 1, 0), line.to);
  const to = line.to > from ? line.to : Math.min(from + 1, doc.length);
  return { from, to };
}
