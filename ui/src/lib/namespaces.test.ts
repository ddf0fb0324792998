import { describe, expect, it } from "vitest";
import { namespaceTree } from "./namespaces";

describe("namespace tree", () => {
  it("nests dotted namespaces and adds children's counts to their parents", () => {
    const tree = namespaceTree([
      { namespace: "company.team.etl", count: 2 },
      { namespace: "company", count: 1 },
      { namespace: "company.ops", count: 3 },
      { namespace: "examples", count: 5 },
    ]);
    expect(tree.map((n) => [n.path, n.count])).toEqual([["company", 6], ["examples", 5]]);
    expect(tree[0].children.map((n) => [n.name, n.count])).toEqual([["ops", 3], ["team", 2]]);
    expect(tree[0].children[1].children[0].path).toBe("company.team.etl");
  });
});
