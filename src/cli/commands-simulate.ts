import type { Command } from "commander";
import { loadConfig } from "../config/index.js";
import { formatDuration } from "../core/duration.js";
import { runSimulation, type SimulationResult, simulationSummary } from "../simulation/run-simulation.js";
import type { TrafficSpec } from "../simulation/traffic.js";
import { duration, positive, type SimulationOptions, trafficFrom } from "../simulation/traffic-options.js";
import { configPath, type GlobalOptions, printJson } from "./context.js";

type Globals = () => GlobalOptions;

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
    .action(async (service: string, options: SimulationOptions & { env?: string }) => {
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
        return printJson(simulationSummary(result, seed));
      }
      console.log(report(result, traffic, seed));
    });
}
