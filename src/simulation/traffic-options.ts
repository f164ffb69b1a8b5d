import { parseDuration } from "../core/duration.js";
import { TandemError } from "../core/errors.js";
import type { TrafficSpec } from "./traffic.js";

/** A simulation as a person writes it (`tandem simulate` flags, the API's body). */
export interface SimulationOptions {
  rate: string;
  stableErrorRate: string;
  errorRate?: string;
  latency: string;
  sigma: string;
  slower: string;
  seed: string;
  horizon: string;
}

/** `0.02`, `2%` -> 0.02; refuses anything else, naming the option. */
function fraction(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const value = match ? Number(match[1]) / (match[2] ? 100 : 1) : Number.NaN;
  if (!(value >= 0 && value <= 1)) {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      `${option} ${text}: expected a fraction or a percentage`,
      {
        hint: `write it like ${option} 0.02 or ${option} 2%`,
      },
    );
  }
  return value;
}

export function positive(text: string, option: string): number {
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `${option} ${text}: expected a positive number`);
  }
  return value;
}

export function duration(text: string, option: string): number {
  try {
    return parseDuration(text);
  } catch {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      `${option} ${text}: expected a duration such as 50ms or 2h`,
    );
  }
}

export function trafficFrom(options: SimulationOptions): TrafficSpec {
  const stableErrorRate = fraction(options.stableErrorRate, "--stable-error-rate");
  const latency = {
    medianMs: duration(options.latency, "--latency"),
    sigma: positive(options.sigma, "--sigma"),
  };
  const slower = /^(\d+(?:\.\d+)?)%$/.exec(options.slower.trim());
  if (!slower) {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `--slower ${options.slower}: expected a percentage`, {
      hint: "write it like --slower 20% (the new version's latencies are 20% longer)",
    });
  }
  return {
    ratePerSecond: positive(options.rate, "--rate"),
    baseline: { errorRate: stableErrorRate, latency },
    canary: {
      errorRate:
        options.errorRate === undefined ? stableErrorRate : fraction(options.errorRate, "--error-rate"),
      latency,
      latencyMultiplier: 1 + Number(slower[1]) / 100,
    },
  };
}
