import type { Router, RouteTable, VersionStats } from "./types.js";

/** For services whose traffic is routed elsewhere: remembers the last table, routes nothing. */
export class NoneRouter implements Router {
  private table: RouteTable | undefined;

  async ensure(): Promise<void> {}

  async apply(table: RouteTable): Promise<void> {
    this.table = table;
  }

  async current(): Promise<RouteTable | undefined> {
    return this.table;
  }

  async stats(): Promise<Record<string, VersionStats>> {
    return {};
  }

  async drain(): Promise<void> {}

  async stop(): Promise<void> {}

  address(): undefined {
    return undefined;
  }
}
