import type { DependencyConfig } from "../core/config.js";
import { TandemError } from "../core/errors.js";
import { recordOf } from "../core/record.js";
import type { Need } from "../core/types.js";

/**
 * The release DAG: which service waits for which. Edges come from `dependsOn` (limited to services in
 * the release: the others are already live) and from version requirements (a new version that
 * requires what another new version of the release provides goes after it).
 */
export interface PlannedService {
  service: string;
  dependsOn: DependencyConfig[];
}

export interface ReleaseDag {
  /** Services in an order where every service comes after all it needs. */
  order: string[];
  needs: Record<string, Need[]>;
}

export function planDag(
  services: readonly PlannedService[],
  requirementEdges: ReadonlyArray<{ from: string; to: string; reason: string }> = [],
): ReleaseDag {
  const names = new Set(services.map((s) => s.service));
  const needs = recordOf(
    services.map(({ service, dependsOn }): [string, Need[]] => [
      service,
      dependsOn
        .filter((d) => names.has(d.service) && d.service !== service)
        .map((d) => (d.step === undefined ? { service: d.service } : { service: d.service, step: d.step })),
    ]),
  );
  for (const edge of requirementEdges) {
    if (!names.has(edge.from) || !names.has(edge.to) || edge.from === edge.to) continue;
    const list = needs[edge.to]!;
    const existing = list.findIndex((n) => n.service === edge.from);
    // A requirement needs the provider's new version fully live: it overrides a wait for a step.
    if (existing === -1) list.push({ service: edge.from });
    else list[existing] = { service: edge.from };
  }
  return {
    order: topologicalOrder(
      services.map((s) => s.service),
      needs,
    ),
    needs,
  };
}

/**
 * Kahn's algorithm, keeping the request's order among services that are ready at the same time (the
 * first ready in request order goes next): a heap of ready services by request position, so thousands
 * of services are ordered in O(N log N), not by a scan per service placed.
 */
function topologicalOrder(names: string[], needs: Record<string, Need[]>): string[] {
  const position = new Map(names.map((name, index) => [name, index]));
  const waitingFor = names.map((name) => new Set(needs[name]!.map((need) => need.service)).size);
  const dependents = names.map((): number[] => []);
  names.forEach((name, index) => {
    for (const service of new Set(needs[name]!.map((need) => need.service))) {
      dependents[position.get(service)!]!.push(index);
    }
  });
  const ready = new MinHeap();
  waitingFor.forEach((count, index) => {
    if (count === 0) ready.push(index);
  });
  const order: string[] = [];
  for (let next = ready.pop(); next !== undefined; next = ready.pop()) {
    order.push(names[next]!);
    for (const dependent of dependents[next]!) {
      waitingFor[dependent]!--;
      if (waitingFor[dependent] === 0) ready.push(dependent);
    }
  }
  if (order.length < names.length) {
    const placed = new Set(order);
    const stuck = names.filter((n) => !placed.has(n));
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      `these services wait for each other: ${describeCycle(stuck, needs)}`,
      {
        hint: "a dependency cycle (dependsOn or version requirements) means none of them could ever start; release them separately or fix the requirements",
      },
    );
  }
  return order;
}

/** Smallest number first. */
class MinHeap {
  private readonly items: number[] = [];

  push(value: number): void {
    const items = this.items;
    items.push(value);
    for (let i = items.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= items[i]!) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }

  pop(): number | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      for (let i = 0; ; ) {
        const [left, right] = [2 * i + 1, 2 * i + 2];
        let smallest = i;
        if (left < items.length && items[left]! < items[smallest]!) smallest = left;
        if (right < items.length && items[right]! < items[smallest]!) smallest = right;
        if (smallest === i) break;
        [items[smallest], items[i]] = [items[i]!, items[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}

function describeCycle(stuck: string[], needs: Record<string, Need[]>): string {
  const start = stuck[0]!;
  const trail = [start];
  let current = start;
  for (let i = 0; i < stuck.length; i++) {
    const next = needs[current]!.find((n) => stuck.includes(n.service))?.service;
    if (next === undefined) break;
    trail.push(next);
    if (next === start) break;
    current = next;
  }
  return trail.join(" -> ");
}

/** Whether `b` starts only after `a` finished (b needs a, directly or through others, fully). */
export function precedes(dag: ReleaseDag, a: string, b: string): boolean {
  const seen = new Set<string>();
  const visit = (name: string): boolean => {
    for (const need of dag.needs[name] ?? []) {
      if (need.step !== undefined) continue;
      if (need.service === a) return true;
      if (!seen.has(need.service)) {
        seen.add(need.service);
        if (visit(need.service)) return true;
      }
    }
    return false;
  };
  return visit(b);
}

export interface ScheduledService {
  service: string;
  startMs: number;
  endMs: number;
}

export interface Schedule {
  services: ScheduledService[];
  /** The release's least duration: the longest chain of waits. */
  totalMs: number;
  criticalPath: string[];
}

/**
 * When each service would start and end if every service takes its `durationMs` and a wait for a
 * named step ends at `stepOffsetMs(service, step)` into that service's rollout.
 */
export function schedule(
  dag: ReleaseDag,
  durationMs: (service: string) => number,
  stepOffsetMs: (service: string, step: string) => number = durationMs,
): Schedule {
  const times = new Map<string, ScheduledService>();
  const via = new Map<string, string | undefined>();
  for (const service of dag.order) {
    let start = 0;
    let from: string | undefined;
    for (const need of dag.needs[service] ?? []) {
      const dependency = times.get(need.service)!;
      const ready =
        need.step === undefined
          ? dependency.endMs
          : dependency.startMs + stepOffsetMs(need.service, need.step);
      if (ready >= start) {
        start = ready;
        from = need.service;
      }
    }
    times.set(service, { service, startMs: start, endMs: start + durationMs(service) });
    via.set(service, from);
  }
  const services = dag.order.map((s) => times.get(s)!);
  const last = services.reduce<ScheduledService | undefined>(
    (a, b) => (!a || b.endMs > a.endMs ? b : a),
    undefined,
  );
  const criticalPath: string[] = [];
  for (let name = last?.service; name !== undefined; name = via.get(name)) criticalPath.unshift(name);
  return { services, totalMs: last?.endMs ?? 0, criticalPath };
}
