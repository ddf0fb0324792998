// The flow's topology laid out by ELK: flowable tasks are boxes holding their children,
// edges follow the order tasks run in. Layout only; the component draws the result.
import ELK, { type ElkNode } from "elkjs/lib/elk.bundled.js";
import type { Graph } from "../api/types";

export interface Box {
  id: string;
  type: string;
  flowable: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Line {
  from: string;
  to: string;
  points: { x: number; y: number }[];
}

export interface Layout {
  boxes: Box[];
  lines: Line[];
  width: number;
  height: number;
}

const LEAF = { width: 170, height: 44 };
const elk = new ELK();

/** The ELK graph of a flow: one compound node per flowable, edges at the root across levels. */
export function elkGraph(graph: Graph): ElkNode {
  const nodes = new Map<string, ElkNode>();
  for (const node of graph.nodes) {
    nodes.set(node.id, node.flowable
      ? { id: node.id, children: [], layoutOptions: { "elk.padding": "[top=44,left=14,bottom=14,right=14]" } }
      : { id: node.id, ...LEAF });
  }
  const root: ElkNode = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.hierarchyHandling": "INCLUDE_CHILDREN",
      "elk.layered.spacing.nodeNodeBetweenLayers": "40",
      "elk.spacing.nodeNode": "20",
    },
    children: [],
    edges: graph.edges.map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
  };
  for (const node of graph.nodes) {
    const parent = node.parent ? nodes.get(node.parent) : undefined;
    (parent?.children ?? root.children!).push(nodes.get(node.id)!);
  }
  // An empty compound node would collapse to nothing; give it a leaf's size.
  for (const node of nodes.values()) {
    if (node.children && node.children.length === 0) {
      delete node.children;
      Object.assign(node, LEAF);
    }
  }
  return root;
}

export async function layout(graph: Graph): Promise<Layout> {
  const laid = await elk.layout(elkGraph(graph));
  const types = new Map(graph.nodes.map((n) => [n.id, n]));
  const boxes: Box[] = [];
  const offsets = new Map<string, { x: number; y: number }>([["root", { x: 0, y: 0 }]]);
  const visit = (node: ElkNode, dx: number, dy: number) => {
    for (const child of node.children ?? []) {
      const x = dx + (child.x ?? 0);
      const y = dy + (child.y ?? 0);
      offsets.set(child.id, { x, y });
      const info = types.get(child.id);
      boxes.push({ id: child.id, type: info?.type ?? "", flowable: Boolean(info?.flowable), x, y, width: child.width ?? 0, height: child.height ?? 0 });
      visit(child, x, y);
    }
  };
  visit(laid, 0, 0);
  const lines: Line[] = [];
  const collect = (node: ElkNode) => {
    for (const edge of node.edges ?? []) {
      // Edge coordinates are relative to the node ELK placed the edge in (its container).
      const base = offsets.get((edge as { container?: string }).container ?? node.id) ?? { x: 0, y: 0 };
      for (const section of edge.sections ?? []) {
        const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint].map((p) => ({ x: p.x + base.x, y: p.y + base.y }));
        lines.push({ from: edge.sources[0], to: edge.targets[0], points });
      }
    }
    for (const child of node.children ?? []) collect(child);
  };
  collect(laid);
  return { boxes, lines, width: laid.width ?? 0, height: laid.height ?? 0 };
}
