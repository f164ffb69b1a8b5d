import { describe, expect, it } from "vitest";
import { layoutDag, NODE } from "./dag";

describe("the release DAG's layout", () => {
  it("puts each service one column right of the deepest service it needs", () => {
    const layout = layoutDag([
      { service: "db" },
      { service: "api", needs: [{ service: "db" }] },
      { service: "worker", needs: [{ service: "db" }] },
      { service: "web", needs: [{ service: "api" }, { service: "worker" }] },
      { service: "docs" },
    ]);
    const where = Object.fromEntries(layout.nodes.map((n) => [n.service, [n.column, n.row]]));
    expect(where).toEqual({ db: [0, 0], docs: [0, 1], api: [1, 0], worker: [1, 1], web: [2, 0] });
    expect(layout.edges.map((e) => `${e.from}->${e.to}`)).toEqual([
      "db->api",
      "db->worker",
      "api->web",
      "worker->web",
    ]);
    expect(layout.width).toBe(NODE.margin * 2 + 3 * NODE.width + 2 * NODE.gapX);
    expect(layout.height).toBe(NODE.margin * 2 + 2 * NODE.height + NODE.gapY);
  });

  it("draws an edge from the needed service's right side to the waiting one's left side", () => {
    const layout = layoutDag([{ service: "api" }, { service: "web", needs: [{ service: "api" }] }]);
    const edge = layout.edges[0]!;
    const start = `M ${NODE.margin + NODE.width} ${NODE.margin + NODE.height / 2}`;
    expect(edge.path.startsWith(start)).toBe(true);
    expect(
      edge.path.endsWith(`${NODE.margin + NODE.width + NODE.gapX} ${NODE.margin + NODE.height / 2}`),
    ).toBe(true);
  });

  it("ignores needs outside the release, and survives a cycle", () => {
    const layout = layoutDag([
      { service: "a", needs: [{ service: "b" }, { service: "elsewhere" }] },
      { service: "b", needs: [{ service: "a" }] },
    ]);
    expect(layout.nodes).toHaveLength(2);
    expect(layout.edges).toHaveLength(2);
  });
});
