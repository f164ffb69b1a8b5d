import type { Command } from "commander";
import { runSimulation, type SimulationResult } from "../analysis/simulate/run-simulation.js";
import type { TrafficSpec } from "../analysis/simulation/traffic.js";
import { loadConfig } from "../config/index.js";
import { formatDuration, parseDuration } from "../core/duration.js";
import { TandemError } from "../core/errors.js";
import { configPath, type GlobalOptions, printJson } from "./context.js";

type Globals = () => GlobalOptions;

interface SimulateOptions {
  env?: string;
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

function positive(text: string, option: string): number {
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `${option} ${text}: expected a positive number`);
  }
  return value;
}

function duration(text: string, option: string): number {
  try {
    return parseDuration(text);
  } catch {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      `${option} ${text}: expected a duration such as 50ms or 2h`,
    );
  }
}

export function trafficFrom(options: SimulateOptions): TrafficSpec {
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

const clock = (ms: number) => {
  const seconds = Math.round(ms / 1000);
  return `+${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
};

function report(result: SimulationResult, traffic: TrafficSpec, seed: number): string {
  const lines = result.events.map((e) => `${clock(e.at - result.startedAt).padStart(7)}  ${e.message}`);
  const { canary } = result.traffic;
  const decision = !result.finished
    ? `undecided after ${formatDuration(result.durationMs)} (the horizon)`
    : result.release.status === "succeeded"
      ? `promoted after ${formatDuration(result.durationMs)}`
      : `${result.release.status.replace("_", " ")} after ${formatDuration(result.durationMs)}: ${result.release.reason ?? ""}`;
  lines.push(
    "",
    `traffic: ${traffic.ratePerSecond} requests/s; stable errors ${pct(traffic.baseline.errorRate)}, new ${pct(
      traffic.canary.errorRate,
    )}; latency median ${traffic.baseline.latency.medianMs}ms, new ×${traffic.canary.latencyMultiplier ?? 1}; seed ${seed}`,
    `the new version served ${canary.requests} requests, ${canary.errors} failed, ${result.traffic.failedBecauseOfCanary} of them because of it`,
  );
  if (result.resumedForPeople > 0) {
    lines.push(`pauses that wait for a person were resumed at once (${result.resumedForPeople})`);
  }
  lines.push(`decision: ${decision}`);
  return lines.join("\n");
}

const pct = (x: number) => `${Number((x * 100).toFixed(3))}%`;

export function registerSimulateCommand(program: Command, globals: Globals): void {
  program
    .command("simulate")
    .description(
      "run a service's strategy and analyses in virtual time against simulated traffic; print the timeline and the decision",
    )
    .argument("<service>", "the service whose policy to simulate")
    .option("-e, --env <environment>", "the environment whose configuration to use (default: the first)")
    .option("--rate <n>", "requests per second to the service", "100")
    .option(
      "--stable-error-rate <r>",
      "fraction of the stable version's requests that fail (0.005 or 0.5%)",
      "0.5%",
    )
    .option("--error-rate <r>", "fraction of the new version's requests that fail (default: as stable)")
    .option("--latency <duration>", "median latency of the stable version (lognormal)", "50ms")
    .option("--sigma <s>", "standard deviation of ln(latency)", "0.5")
    .option("--slower <percent>", "the new version's latencies are this much longer", "0%")
    .option("--seed <n>", "seed of the simulated traffic", "1")
    .option("--horizon <duration>", "give up after this much virtual time", "2h")
    .action(async (service: string, options: SimulateOptions) => {
      const config = loadConfig(configPath(globals()));
      const traffic = trafficFrom(options);
      const seed = Math.trunc(positive(options.seed, "--seed"));
      const result = await runSimulation(config, {
        service,
        environment: options.env ?? Object.keys(config.environments)[0]!,
        traffic,
        seed,
        horizonMs: duration(options.horizon, "--horizon"),
      });
      if (globals().json) {
        return printJson({
          decision: result.finished ? result.release.status : "undecided",
          reason: result.release.reason,
          durationMs: result.durationMs,
          traffic: result.traffic,
          seed,
          events: result.events,
        });
      }
      console.log(report(result, traffic, seed));
    });
}
