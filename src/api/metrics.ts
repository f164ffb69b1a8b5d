import type { FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { isTerminal, type ReleaseState, type Status, type TandemEvent } from "../core/types.js";
import type { ApiContext } from "./context.js";

/**
 * GET /metrics: the Prometheus text exposition format (version 0.0.4), written by prom-client.
 * The process's own metrics (`process_*`, `nodejs_*`: CPU, memory, event-loop lag, GC) come from
 * prom-client's default collectors; the `tandem_*` families are computed from the store at each scrape,
 * except `tandem_reconcile_duration_seconds`, which the engine's passes feed as they happen.
 */

const STATUSES: readonly Status[] = [
  "pending",
  "awaiting_approval",
  "running",
  "paused",
  "succeeded",
  "failed",
  "rolled_back",
  "aborted",
];

const VERDICTS: Record<string, string> = {
  "analysis.succeeded": "successful",
  "analysis.failed": "failed",
  "analysis.inconclusive": "inconclusive",
  "analysis.error": "error",
};

/** Rollouts take minutes to hours: 1 s to 2 h. */
export const ROLLOUT_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];
/** Steps: a weight change takes well under a second, a pause or an analysis up to an hour. */
export const STEP_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];
/** Reconcile passes: milliseconds normally, seconds when a target or a hook is slow (Argo's rollout_reconcile). */
export const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The process's metrics, once per process: every server of the process shares them. */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** One server's `tandem_*` families. */
export class TandemMetrics {
  readonly registry = new Registry();
  private readonly releases = this.gauge("tandem_releases", "Releases of the project by status.", ["status"]);
  private readonly rolloutInfo = this.gauge(
    "tandem_rollout_info",
    "The latest rollout of each environment and service (always 1): its release, version, status and phase.",
    ["environment", "service", "release", "version", "status", "phase"],
  );
  private readonly rolloutDuration = this.histogram(
    "tandem_rollout_duration_seconds",
    "Durations of finished rollouts.",
    ["environment", "service", "status"],
    ROLLOUT_BUCKETS,
  );
  private readonly stepDuration = this.histogram(
    "tandem_step_duration_seconds",
    "Durations of completed rollout steps, by step kind.",
    ["environment", "service", "step"],
    STEP_BUCKETS,
  );
  private readonly trafficWeight = this.gauge(
    "tandem_traffic_weight_percent",
    "Percent of traffic on the new version of each active rollout.",
    ["environment", "service", "version"],
  );
  private readonly verdicts = new Counter({
    name: "tandem_analysis_verdicts_total",
    help: "Analysis runs ended, by verdict.",
    labelNames: ["verdict"],
    registers: [this.registry],
  });
  private readonly outbox = this.gauge(
    "tandem_outbox_deliveries",
    "Notification deliveries in the outbox, by channel and status.",
    ["channel", "status"],
  );
  /** Fed by the engine's passes (`Engine.observePasses`), not from the store: it starts empty. */
  readonly reconcileDuration = this.histogram(
    "tandem_reconcile_duration_seconds",
    "Durations of the engine's reconcile passes in this process, by environment and outcome (ok, conflict, error).",
    ["environment", "outcome"],
    RECONCILE_BUCKETS,
  );

  /** Every store-derived family from one read of the store. */
  async refresh(ctx: ApiContext): Promise<void> {
    const project = ctx.orchestrator.config.project;
    const releases = await ctx.store.listReleases({ project });
    const events = await ctx.store.listEvents({ project });
    const outbox = await ctx.store.outboxCounts();
    for (const metric of [this.releases, this.rolloutInfo, this.rolloutDuration, this.stepDuration]) {
      metric.reset();
    }
    for (const metric of [this.trafficWeight, this.verdicts, this.outbox]) metric.reset();

    for (const status of STATUSES) this.releases.set({ status }, 0);
    for (const r of releases) this.releases.inc({ status: r.status });

    for (const { release, rollout } of latestRollouts(releases).values()) {
      this.rolloutInfo.set(
        {
          environment: release.environment,
          service: rollout.service,
          release: release.id,
          version: rollout.version,
          status: rollout.status,
          phase: rollout.phase,
        },
        1,
      );
    }

    for (const r of releases) {
      for (const rollout of r.rollouts) {
        if (rollout.startedAt === undefined || rollout.finishedAt === undefined) continue;
        this.rolloutDuration.observe(
          { environment: r.environment, service: rollout.service, status: rollout.status },
          (rollout.finishedAt - rollout.startedAt) / 1000,
        );
      }
    }

    for (const step of stepDurations(events)) this.stepDuration.observe(step.labels, step.seconds);

    for (const r of releases.filter((r) => !isTerminal(r.status))) {
      for (const rollout of r.rollouts) {
        this.trafficWeight.set(
          { environment: r.environment, service: rollout.service, version: rollout.version },
          rollout.weight,
        );
      }
    }

    for (const verdict of Object.values(VERDICTS)) this.verdicts.inc({ verdict }, 0);
    for (const e of events) {
      const verdict = VERDICTS[e.type];
      if (verdict) this.verdicts.inc({ verdict });
    }

    for (const row of outbox) this.outbox.set({ channel: row.channel, status: row.status }, row.count);
  }

  /** The exposition text: the process's metrics, then Tandem's. */
  async text(): Promise<string> {
    return `${await processMetrics().metrics()}\n${await this.registry.metrics()}`;
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    buckets: number[],
  ): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }
}

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** GET /metrics, and the reconcile histogram fed by the orchestrator's engine while the server is open. */
export function registerMetricsRoute(app: FastifyInstance, ctx: ApiContext): TandemMetrics {
  const metrics = new TandemMetrics();
  const stop = ctx.orchestrator.engine.observePasses((pass) =>
    metrics.reconcileDuration.observe({ environment: pass.environment, outcome: pass.outcome }, pass.seconds),
  );
  app.addHook("onClose", async () => {
    stop();
  });
  app.get(
    "/metrics",
    { schema: { summary: "Prometheus metrics (text exposition format)" } },
    async (_request, reply) => {
      await metrics.refresh(ctx);
      return reply.type(METRICS_CONTENT_TYPE).send(await metrics.text());
    },
  );
  return metrics;
}

/** The most recently created release's rollout of each environment and service. */
function latestRollouts(releases: ReleaseState[]) {
  const latest = new Map<string, { release: ReleaseState; rollout: ReleaseState["rollouts"][number] }>();
  for (const release of releases) {
    for (const rollout of release.rollouts) {
      const key = `${release.environment}\u0000${rollout.service}`;
      const seen = latest.get(key);
      if (!seen || release.createdAt >= seen.release.createdAt) latest.set(key, { release, rollout });
    }
  }
  return latest;
}

function stepDurations(events: TandemEvent[]) {
  const started = new Map<string, { at: number; kind: string }>();
  const result: { labels: { environment: string; service: string; step: string }; seconds: number }[] = [];
  for (const e of events) {
    const key = `${e.releaseId}/${e.service ?? ""}`;
    if (e.type === "rollout.step_started") {
      started.set(key, { at: e.at, kind: stepKind(e) });
    } else if (e.type === "rollout.step_completed") {
      const start = started.get(key);
      if (!start) continue;
      started.delete(key);
      result.push({
        labels: { environment: e.environment, service: e.service ?? "", step: start.kind },
        seconds: (e.at - start.at) / 1000,
      });
    }
  }
  return result;
}

function stepKind(e: TandemEvent): string {
  const step = e.data?.step as { type?: unknown } | undefined;
  if (step && typeof step.type === "string") return step.type;
  const kind = e.data?.kind ?? e.data?.type;
  return typeof kind === "string" ? kind : "step";
}
