import { setTimeout as delay } from "node:timers/promises";
import type { MeasureContext, Measurement, MetricProvider } from "../types.js";
import { configError, describeError, durationOption, failure, measured } from "./common.js";
import { type CpuSample, readCpuSample, readRssBytes } from "./proc.js";
import type { ProviderDeps, ResourcesProviderConfig } from "./types.js";

const DEFAULT_SAMPLE_MS = 1000;

/**
 * CPU (percent of one core) or RSS (bytes) of the new version's running instances, read from Linux'
 * /proc, aggregated by `max` (default), `sum` or `avg`.
 *
 * CPU is the CPU time used between two reads divided by the wall time between them: the previous look
 * at the same process (so at each analysis interval it covers the interval), or, on a process' first
 * look, a short sample taken there and then (`sampleMs`, at most the window). A process gone between
 * listing and reading is left out; no instance at all is an error.
 */
export class ResourcesProvider implements MetricProvider {
  readonly type = "resources";
  private readonly aggregate: "max" | "sum" | "avg";
  private readonly sampleMs: number;
  private readonly previous = new Map<number, CpuSample>();

  constructor(
    readonly config: ResourcesProviderConfig,
    private readonly deps: ProviderDeps = {},
  ) {
    if (config.metric !== "cpu" && config.metric !== "rss") {
      throw configError(`resources provider: metric must be cpu or rss, not ${String(config.metric)}`);
    }
    this.aggregate = config.aggregate ?? "max";
    if (!["max", "sum", "avg"].includes(this.aggregate)) {
      throw configError(
        `resources provider: aggregate must be max, sum or avg, not ${String(this.aggregate)}`,
      );
    }
    this.sampleMs = durationOption(config.sampleMs, DEFAULT_SAMPLE_MS, "resources provider sampleMs");
  }

  async measure(context: MeasureContext): Promise<Measurement> {
    const what = `${this.config.metric} of ${context.service}@${context.canaryVersion}`;
    if (process.platform !== "linux")
      return failure(context, `${what}: the resources provider reads Linux' /proc`);
    if (!this.deps.instancePids) {
      return failure(context, `${what}: this target cannot say which processes run the version`);
    }
    let pids: number[];
    try {
      pids = await this.deps.instancePids(context.service, context.canaryVersion, context.signal);
    } catch (error) {
      return failure(context, `${what}: could not list the instances: ${describeError(error)}`);
    }
    if (context.signal.aborted) return failure(context, `${what}: aborted`);
    if (pids.length === 0) return failure(context, `${what}: no running instance`);

    const figures =
      this.config.metric === "rss"
        ? await Promise.all(pids.map(readRssBytes))
        : await this.cpuPercents(pids, context);
    if (figures === "aborted") return failure(context, `${what}: aborted`);
    const present = figures.filter((value): value is number => value !== undefined);
    if (present.length === 0) {
      return failure(context, `${what}: none of the instances (pids ${pids.join(", ")}) is running`);
    }
    return measured(context, aggregate(present, this.aggregate));
  }

  private async cpuPercents(
    pids: number[],
    context: MeasureContext,
  ): Promise<(number | undefined)[] | "aborted"> {
    const now = await Promise.all(pids.map(readCpuSample));
    const starts = now.map((sample) => {
      if (!sample) return undefined;
      const before = this.previous.get(sample.pid);
      return before && before.startTicks === sample.startTicks ? before : undefined;
    });
    let end = now;
    if (starts.some((start, i) => start === undefined && now[i] !== undefined)) {
      // A process seen for the first time: sample it over a short span.
      const span = Math.max(50, Math.min(this.sampleMs, context.windowMs || this.sampleMs));
      try {
        await delay(span, undefined, { signal: context.signal });
      } catch {
        return "aborted";
      }
      end = await Promise.all(pids.map(readCpuSample));
    }
    const seen = new Set<number>();
    const percents = pids.map((pid, i) => {
      const last = end[i];
      if (!last) return undefined;
      seen.add(pid);
      this.previous.set(pid, last);
      const first = starts[i] ?? (now[i]?.startTicks === last.startTicks ? now[i] : undefined);
      if (!first || last.readAt <= first.readAt) return undefined;
      return (100 * (last.cpuMs - first.cpuMs)) / (last.readAt - first.readAt);
    });
    for (const pid of this.previous.keys()) if (!seen.has(pid)) this.previous.delete(pid);
    return percents;
  }
}

export function aggregate(values: number[], how: "max" | "sum" | "avg"): number {
  const sum = values.reduce((total, value) => total + value, 0);
  if (how === "sum") return sum;
  if (how === "avg") return sum / values.length;
  return Math.max(...values);
}
