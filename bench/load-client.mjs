// The benchmark's load generator, in its own process so it shares no thread with the router or upstream.
// Usage: node bench/load-client.mjs '{"url":"http://127.0.0.1:N/","warmupMs":1000,"closedMs":5000,
//   "concurrency":32,"rateMs":5000,"ratePerSecond":1000}'
// Runs a closed-loop warm-up (not part of the figures), a closed-loop run at `concurrency`, then a fixed-rate run (skipped
// when rateMs is 0), with the same tool (Tandem's loopback load generator), and prints one JSON line:
// {warmup, closed, rate, cpuMicros}.
import { runLoad } from "../dist/testing/load.js";

const plan = JSON.parse(process.argv[2] ?? "{}");
const LOTS = 100_000_000;

async function closedLoop(durationMs) {
  return runLoad({ url: plan.url, concurrency: plan.concurrency, durationMs, maxRequests: LOTS });
}

const warmup = await closedLoop(plan.warmupMs);
const closed = await closedLoop(plan.closedMs);
const rate = plan.rateMs > 0 ? await fixedRate() : undefined;
// The client's own CPU time (all phases), so the bench can tell when the load tool is the bottleneck.
const { user, system } = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ warmup, closed, rate, cpuMicros: user + system })}\n`);

function fixedRate() {
  return runLoad({
    url: plan.url,
    concurrency: plan.concurrency,
    ratePerSecond: plan.ratePerSecond,
    durationMs: plan.rateMs,
    maxRequests: Math.ceil((plan.ratePerSecond * plan.rateMs) / 1000),
  });
}
