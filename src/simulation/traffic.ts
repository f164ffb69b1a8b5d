import { type Random, seeded } from "../analysis/stats/random.js";
import { normalCdf } from "../analysis/stats/special.js";
import type { VersionSample } from "../analysis/types.js";
import { LATENCY_BOUNDS_MS } from "../routers/builtin/stats.js";
import type { LatencyHistogram } from "../routers/types.js";

/**
 * Seeded traffic simulator (issue 4): requests to one service split between the stable version
 * (baseline) and the new one (canary) by a weight that the caller chooses tick by tick.
 *
 * Model, per tick (1 s by default):
 * - arrivals: Poisson(`ratePerSecond` × tick) requests to the service, both versions together;
 * - each request draws, always in the same order and whichever version serves it, three numbers from
 *   the seeded PRNG: `r` (routing: the canary serves it when r < weight/100), `e` (error: it fails when
 *   e < the serving version's error rate), `z` (a standard normal: its latency is
 *   medianMs × latencyMultiplier × exp(sigma × z), a lognormal);
 * - latencies land in the builtin router's buckets (`LATENCY_BOUNDS_MS`).
 *
 * So a trace depends only on the seed and on the weights passed in, and two policies that run on the
 * same seed see the same requests (common random numbers): a request that one policy sends to the
 * canary and another keeps on the baseline has the same `e` and `z` in both. The draws are coupled
 * across versions too, which gives an exact counterfactual: a canary request with
 * baseline.errorRate <= e < canary.errorRate failed *because of* the new version (it would have
 * succeeded on the stable one); `TrafficTick.canaryExcessErrors` counts those.
 */

/** How one version behaves. */
export interface VersionBehaviour {
  /** Probability that a request fails (5xx), 0..1. */
  errorRate: number;
  /** Lognormal latency: the median (ms) and the standard deviation of ln(latency). */
  latency: { medianMs: number; sigma: number };
  /** Multiplies every latency: 1 as the median says, 1.2 for a version 20% slower. Default 1. */
  latencyMultiplier?: number;
}

export interface TrafficSpec {
  /** Requests per second to the service, both versions together (Poisson arrivals). */
  ratePerSecond: number;
  baseline: VersionBehaviour;
  canary: VersionBehaviour;
  /** Length of one tick in ms (default 1000). Policies look at whole ticks. */
  tickMs?: number;
}

/** What one tick of traffic did. Samples are for this tick only (see `addSample` for sums). */
export interface TrafficTick {
  /** Virtual time at the end of the tick, ms since the trace began. */
  at: number;
  /** Percent of the traffic the canary had during the tick. */
  weight: number;
  canary: Required<VersionSample>;
  baseline: Required<VersionSample>;
  /** Canary requests that failed and would have succeeded on the baseline (see the module comment). */
  canaryExcessErrors: number;
}

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** A Poisson(mean) draw from one uniform, by inversion (exact up to floating point; means up to ~700). */
export function poisson(mean: number, u: number): number {
  if (mean <= 0) return 0;
  if (mean > 700) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normalQuantile(u)));
  let k = 0;
  let p = Math.exp(-mean);
  let cumulative = p;
  while (u > cumulative && k < 100_000) {
    k++;
    p *= mean / k;
    cumulative += p;
    if (p === 0 && cumulative < u) break;
  }
  return k;
}

export function emptyHistogram(): LatencyHistogram {
  return {
    boundsMs: [...LATENCY_BOUNDS_MS],
    counts: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0),
  };
}

export function emptySample(): Required<VersionSample> {
  return { requests: 0, errors: 0, latency: emptyHistogram() };
}

/** a + b, a new sample (histograms must share bounds). */
export function addSample(a: VersionSample, b: VersionSample): Required<VersionSample> {
  const latency = emptyHistogram();
  for (let i = 0; i < latency.counts.length; i++) {
    latency.counts[i] = (a.latency?.counts[i] ?? 0) + (b.latency?.counts[i] ?? 0);
  }
  return { requests: a.requests + b.requests, errors: a.errors + b.errors, latency };
}

/** a − b: the traffic between two cumulative samples (b taken earlier). */
export function subtractSample(a: VersionSample, b: VersionSample): Required<VersionSample> {
  const latency = emptyHistogram();
  for (let i = 0; i < latency.counts.length; i++) {
    latency.counts[i] = (a.latency?.counts[i] ?? 0) - (b.latency?.counts[i] ?? 0);
  }
  return { requests: a.requests - b.requests, errors: a.errors - b.errors, latency };
}

/** Adds `b` into `into` in place (the running sums of a policy, without allocating). */
export function accumulate(into: Required<VersionSample>, b: VersionSample): void {
  into.requests += b.requests;
  into.errors += b.errors;
  if (b.latency)
    for (let i = 0; i < into.latency.counts.length; i++) into.latency.counts[i]! += b.latency.counts[i] ?? 0;
}

export function cloneSample(a: VersionSample): Required<VersionSample> {
  return addSample(a, { requests: 0, errors: 0 });
}

/** The probability that one request of `behaviour` lands in each bucket of `LATENCY_BOUNDS_MS`. */
export function bucketProbabilities(behaviour: VersionBehaviour): number[] {
  const { medianMs, sigma } = behaviour.latency;
  const scale = medianMs * (behaviour.latencyMultiplier ?? 1);
  const cdf = (ms: number) => (sigma <= 0 ? (scale <= ms ? 1 : 0) : normalCdf(Math.log(ms / scale) / sigma));
  const probabilities: number[] = [];
  let previous = 0;
  for (const bound of LATENCY_BOUNDS_MS) {
    const at = cdf(bound);
    probabilities.push(at - previous);
    previous = at;
  }
  probabilities.push(1 - previous);
  return probabilities;
}

/**
 * Bucket thresholds in z (standard normal) units: a request with normal draw z lands in the first
 * bucket i with z <= thresholds[i]; precomputed so the hot loop compares instead of exponentiating.
 */
function zThresholds(behaviour: VersionBehaviour): number[] {
  const { medianMs, sigma } = behaviour.latency;
  const scale = medianMs * (behaviour.latencyMultiplier ?? 1);
  return LATENCY_BOUNDS_MS.map((bound) =>
    sigma <= 0
      ? scale <= bound
        ? Number.POSITIVE_INFINITY
        : Number.NEGATIVE_INFINITY
      : Math.log(bound / scale) / sigma,
  );
}

function bucketOf(thresholds: readonly number[], z: number): number {
  let i = 0;
  while (i < thresholds.length && z > thresholds[i]!) i++;
  return i;
}

/**
 * One trace: call `next(weight)` once per tick. Deterministic from the seed and the weights passed.
 */
export class TrafficTrace {
  readonly tickMs: number;
  private readonly random: Random;
  private readonly baselineZ: number[];
  private readonly canaryZ: number[];
  private readonly meanPerTick: number;
  private ticks = 0;

  constructor(
    readonly spec: TrafficSpec,
    readonly seed: number,
  ) {
    this.tickMs = spec.tickMs ?? 1000;
    if (!(this.tickMs > 0)) throw new Error("tickMs must be positive");
    if (!(spec.ratePerSecond >= 0)) throw new Error("ratePerSecond must be >= 0");
    this.random = seeded(seed);
    this.baselineZ = zThresholds(spec.baseline);
    this.canaryZ = zThresholds(spec.canary);
    this.meanPerTick = (spec.ratePerSecond * this.tickMs) / 1000;
  }

  /** Virtual time (ms) at the end of the last tick. */
  get now(): number {
    return this.ticks * this.tickMs;
  }

  /** Simulates the next tick with `weight` percent (0..100) of the requests going to the canary. */
  next(weight: number): TrafficTick {
    const share = Math.min(100, Math.max(0, weight)) / 100;
    const canary = emptySample();
    const baseline = emptySample();
    let canaryExcessErrors = 0;
    const n = poisson(this.meanPerTick, this.random());
    const pBaseline = this.spec.baseline.errorRate;
    const pCanary = this.spec.canary.errorRate;
    for (let i = 0; i < n; i++) {
      const r = this.random();
      const e = this.random();
      const z = normalQuantile(this.random());
      if (r < share) {
        canary.requests++;
        if (e < pCanary) {
          canary.errors++;
          if (e >= pBaseline) canaryExcessErrors++;
        }
        canary.latency.counts[bucketOf(this.canaryZ, z)]!++;
      } else {
        baseline.requests++;
        if (e < pBaseline) baseline.errors++;
        baseline.latency.counts[bucketOf(this.baselineZ, z)]!++;
      }
    }
    this.ticks++;
    return { at: this.now, weight, canary, baseline, canaryExcessErrors };
  }
}

/** One interval of `simulateTraffic`: that interval's traffic and the sums since the trace began. */
export interface TrafficInterval {
  /** End of the interval, ms since the trace began. */
  at: number;
  canary: Required<VersionSample>;
  baseline: Required<VersionSample>;
  canaryExcessErrors: number;
  /** Cumulative since the trace began (what a comparison `Measurement` carries). */
  canaryTotal: Required<VersionSample>;
  baselineTotal: Required<VersionSample>;
}

/**
 * A whole trace under a fixed weight schedule (`weightAt(ms)` is read at the start of each tick),
 * summed per `intervalMs` (a multiple of the tick), for `durationMs`.
 */
export function simulateTraffic(
  spec: TrafficSpec,
  seed: number,
  options: { weightAt: (atMs: number) => number; intervalMs: number; durationMs: number },
): TrafficInterval[] {
  const trace = new TrafficTrace(spec, seed);
  if (options.intervalMs % trace.tickMs !== 0) throw new Error("intervalMs must be a multiple of tickMs");
  const out: TrafficInterval[] = [];
  const canaryTotal = emptySample();
  const baselineTotal = emptySample();
  let canary = emptySample();
  let baseline = emptySample();
  let excess = 0;
  while (trace.now < options.durationMs) {
    const tick = trace.next(options.weightAt(trace.now));
    accumulate(canary, tick.canary);
    accumulate(baseline, tick.baseline);
    excess += tick.canaryExcessErrors;
    if (trace.now % options.intervalMs === 0 || trace.now >= options.durationMs) {
      accumulate(canaryTotal, canary);
      accumulate(baselineTotal, baseline);
      out.push({
        at: trace.now,
        canary,
        baseline,
        canaryExcessErrors: excess,
        canaryTotal: cloneSample(canaryTotal),
        baselineTotal: cloneSample(baselineTotal),
      });
      canary = emptySample();
      baseline = emptySample();
      excess = 0;
    }
  }
  return out;
}
