import type { FastifyInstance } from "fastify";
import { isTerminal, type Status, type TandemEvent } from "../core/types.js";

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

import type { ApiContext } from "./context.js";

/**
 * GET /metrics: the Prometheus text exposition format (version 0.0.4), written by hand.
 * Every family has HELP and TYPE lines; label values are escaped.
 */
export function registerMetricsRoute(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    "/metrics",
    { schema: { summary: "Prometheus metrics (text exposition format)" } },
    async (_request, reply) => {
      const text = await renderMetrics(ctx);
      return reply.type("text/plain; version=0.0.4; charset=utf-8").send(text);
    },
  );
}

const VERDICTS: Record<string, string> = {
  "analysis.succeeded": "successful",
  "analysis.failed": "failed",
  "analysis.inconclusive": "inconclusive",
  "analysis.error": "error",
};

export async function renderMetrics(ctx: ApiContext): Promise<string> {
  const project = ctx.orchestrator.config.project;
  const releases = await ctx.store.listReleases({ project });
  const events = await ctx.store.listEvents({ project });
  const out = new Metrics();

  out.family("tandem_releases", "gauge", "Releases of the project by status.");
  const byStatus = new Map<string, number>(STATUSES.map((s) => [s, 0]));
  for (const r of releases) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  for (const [status, count] of byStatus) out.sample("tandem_releases", { status }, count);

  out.family("tandem_rollout_duration_seconds", "summary", "Durations of finished rollouts.");
  const rollouts = new Map<string, { sum: number; count: number; labels: Record<string, string> }>();
  for (const r of releases) {
    for (const rollout of r.rollouts) {
      if (rollout.startedAt === undefined || rollout.finishedAt === undefined) continue;
      const labels = { environment: r.environment, service: rollout.service, status: rollout.status };
      const key = JSON.stringify(labels);
      const entry = rollouts.get(key) ?? { sum: 0, count: 0, labels };
      entry.sum += (rollout.finishedAt - rollout.startedAt) / 1000;
      entry.count += 1;
      rollouts.set(key, entry);
    }
  }
  for (const { sum, count, labels } of rollouts.values()) {
    out.sample("tandem_rollout_duration_seconds_sum", labels, sum);
    out.sample("tandem_rollout_duration_seconds_count", labels, count);
  }

  out.family(
    "tandem_step_duration_seconds",
    "summary",
    "Durations of completed rollout steps, by step kind.",
  );
  for (const { sum, count, labels } of stepDurations(events).values()) {
    out.sample("tandem_step_duration_seconds_sum", labels, sum);
    out.sample("tandem_step_duration_seconds_count", labels, count);
  }

  out.family(
    "tandem_traffic_weight_percent",
    "gauge",
    "Percent of traffic on the new version of each active rollout.",
  );
  for (const r of releases.filter((r) => !isTerminal(r.status))) {
    for (const rollout of r.rollouts) {
      out.sample(
        "tandem_traffic_weight_percent",
        { environment: r.environment, service: rollout.service, version: rollout.version },
        rollout.weight,
      );
    }
  }

  out.family("tandem_analysis_verdicts_total", "counter", "Analysis runs ended, by verdict.");
  const verdicts = new Map<string, number>(Object.values(VERDICTS).map((v) => [v, 0]));
  for (const e of events) {
    const verdict = VERDICTS[e.type];
    if (verdict) verdicts.set(verdict, (verdicts.get(verdict) ?? 0) + 1);
  }
  for (const [verdict, count] of verdicts) out.sample("tandem_analysis_verdicts_total", { verdict }, count);

  out.family(
    "tandem_outbox_deliveries",
    "gauge",
    "Notification deliveries in the outbox, by channel and status.",
  );
  for (const row of await ctx.store.outboxCounts()) {
    out.sample("tandem_outbox_deliveries", { channel: row.channel, status: row.status }, row.count);
  }
  return out.text();
}

function stepDurations(events: TandemEvent[]) {
  const started = new Map<string, { at: number; kind: string }>();
  const result = new Map<string, { sum: number; count: number; labels: Record<string, string> }>();
  for (const e of events) {
    const key = `${e.releaseId}/${e.service ?? ""}`;
    if (e.type === "rollout.step_started") {
      started.set(key, { at: e.at, kind: stepKind(e) });
    } else if (e.type === "rollout.step_completed") {
      const start = started.get(key);
      if (!start) continue;
      started.delete(key);
      const labels = { environment: e.environment, service: e.service ?? "", step: start.kind };
      const id = JSON.stringify(labels);
      const entry = result.get(id) ?? { sum: 0, count: 0, labels };
      entry.sum += (e.at - start.at) / 1000;
      entry.count += 1;
      result.set(id, entry);
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

const escapeLabel = (value: string) =>
  value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

class Metrics {
  private readonly lines: string[] = [];

  family(name: string, type: "gauge" | "counter" | "summary", help: string): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  }

  sample(name: string, labels: Record<string, string>, value: number): void {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    const number = Number.isFinite(value) ? String(value) : "NaN";
    this.lines.push(`${name}${pairs.length ? `{${pairs.join(",")}}` : ""} ${number}`);
  }

  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}
