import type { Router, RouteTable, VersionStats } from "../routers/types.js";

/**
 * A router that keeps its table in memory, shared by every client built from the same instance (as a
 * real data plane outlives an engine). Records every table applied, for assertions.
 */
export class MemoryRouter implements Router {
  table: RouteTable | undefined;
  readonly applied: RouteTable[] = [];
  readonly drained: string[][] = [];

  async ensure(): Promise<void> {}
  async apply(table: RouteTable): Promise<void> {
    this.table = structuredClone(table);
    this.applied.push(this.table);
  }
  async current(): Promise<RouteTable | undefined> {
    return this.table && structuredClone(this.table);
  }
  async stats(): Promise<Record<string, VersionStats>> {
    return {};
  }
  async drain(ids: string[]): Promise<void> {
    this.drained.push(ids);
  }
  async stop(): Promise<void> {
    this.table = undefined;
  }
  address(): undefined {
    return undefined;
  }

  /** Percent of traffic per version that has endpoints now. */
  weights(): Record<string, number> {
    return Object.fromEntries(
      (this.table?.backends ?? []).map((b) => [b.version, b.endpoints.length ? b.weight : 0]),
    );
  }
}
