// Namespaces as a tree: `company.team.etl` sits under `company.team` under `company`.

export interface NamespaceNode {
  name: string;
  path: string;
  count: number;
  children: NamespaceNode[];
}

/** The tree of `namespaces` (with their flow counts); a parent's count includes its children's. */
export function namespaceTree(namespaces: { namespace: string; count: number }[]): NamespaceNode[] {
  const root: NamespaceNode = { name: "", path: "", count: 0, children: [] };
  for (const { namespace, count } of namespaces) {
    let node = root;
    const parts = namespace.split(".");
    parts.forEach((part, i) => {
      const path = parts.slice(0, i + 1).join(".");
      let child = node.children.find((c) => c.path === path);
      if (!child) {
        child = { name: part, path, count: 0, children: [] };
        node.children.push(child);
      }
      child.count += count;
      node = child;
    });
  }
  const sort = (nodes: NamespaceNode[]) => {
    nodes.sort((a, b) => a.name.localeCompare(b.name));
    nodes.forEach((n) => sort(n.children));
  };
  sort(root.children);
  return root.children;
}
