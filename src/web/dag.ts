/**
 * Lays out a release's services as a DAG: a service's column is one more than the deepest service it
 * needs (so dependencies stand to the left), rows in the release's order within a column; each edge
 * goes from the right side of the needed service to the left side of the one that waits for it.
 */

export interface DagInput {
  service: string;
  needs?: { service: string }[];
}

export interface DagNode {
  service: string;
  column: number;
  row: number;
  x: number;
  y: number;
}

export interface DagEdge {
  from: string;
  to: string;
  /** SVG path data. */
  path: string;
}

export interface DagLayout {
  nodes: DagNode[];
  edges: DagEdge[];
  width: number;
  height: number;
}

export const NODE = { width: 250, height: 164, gapX: 56, gapY: 20, margin: 8 };

export function layoutDag(items: readonly DagInput[]): DagLayout {
  const byName = new Map(items.map((item) => [item.service, item]));
  const columns = new Map<string, number>();
  const columnOf = (service: string, seen: Set<string>): number => {
    const known = columns.get(service);
    if (known !== undefined) return known;
    if (seen.has(service)) return 0; // a cycle cannot come from the planner; never loop on one
    seen.add(service);
    const needs = (byName.get(service)?.needs ?? []).filter((n) => byName.has(n.service));
    const column = needs.length === 0 ? 0 : 1 + Math.max(...needs.map((n) => columnOf(n.service, seen)));
    columns.set(service, column);
    return column;
  };
  const rowsUsed: number[] = [];
  const nodes: DagNode[] = items.map((item) => {
    const column = columnOf(item.service, new Set());
    const row = rowsUsed[column] ?? 0;
    rowsUsed[column] = row + 1;
    return {
      service: item.service,
      column,
      row,
      x: NODE.margin + column * (NODE.width + NODE.gapX),
      y: NODE.margin + row * (NODE.height + NODE.gapY),
    };
  });
  const at = new Map(nodes.map((node) => [node.service, node]));
  const edges: DagEdge[] = [];
  for (const item of items) {
    const to = at.get(item.service)!;
    for (const need of new Set((item.needs ?? []).map((n) => n.service))) {
      const from = at.get(need);
      if (!from) continue;
      const x1 = from.x + NODE.width;
      const y1 = from.y + NODE.height / 2;
      const x2 = to.x;
      const y2 = to.y + NODE.height / 2;
      const bend = (x2 - x1) / 2;
      edges.push({
        from: need,
        to: item.service,
        path: `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`,
      });
    }
  }
  const columnsUsed = Math.max(0, ...nodes.map((n) => n.column + 1));
  const rowsMax = Math.max(0, ...rowsUsed);
  return {
    nodes,
    edges,
    width: NODE.margin * 2 + columnsUsed * NODE.width + Math.max(0, columnsUsed - 1) * NODE.gapX,
    height: NODE.margin * 2 + rowsMax * NODE.height + Math.max(0, rowsMax - 1) * NODE.gapY,
  };
}
