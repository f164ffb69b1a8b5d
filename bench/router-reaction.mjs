// Router reaction time: from a canary instance turning unhealthy to the router sending all of the
// service's traffic to the stable version. Real engine (real time), SQLite store, the builtin router
// (ONE daemon for every service) and real HTTP instances in their own process (bench/reaction-instances.mjs,
// as a user's services would run), whose /health can be switched to 500.
// Usage: npm run bench:reaction   (or, after `npm run build`: node bench/router-reaction.mjs [--n 1,1000]
//        [--pass-interval MS] [--profile DIR]: CPU profiles of the engine's process, setup and reaction window)
//
// For each N: N services, one release each (N concurrent rollouts): 1.0.0 is deployed first,
// then 2.0.0 as a canary (setWeight 50, then a long pause). Once every router serves 50/50, every canary
// instance's /health turns 500 at once (t0, stamped by the instances' process). Detection is when the
// probe monitor declared the canary failed (its failure time), eject is from then to the daemon no longer
// sending new requests to the canary (the daemon's `unservedAt`, whether by eject or by a new table), and
// the reaction is the sum: unservedAt - t0. The anchor is the goal, failureThreshold × period + 100 ms:
// every figure is printed as a ratio of it. For a sample of services, requests through the router right
// after the reaction must all reach stable.

import { fork } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { Session } from "node:inspector/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { AbortFanout } from "../dist/core/abort.js";
import { systemClock } from "../dist/core/clock.js";
import { createRelease } from "../dist/engine/create-release.js";
import { Engine } from "../dist/engine/engine.js";
import { createMonitor } from "../dist/engine/plugins.js";
import { waitForExit } from "../dist/routers/builtin/spawn.js";
import { createRouter } from "../dist/routers/index.js";
import { SqliteStore } from "../dist/store/sqlite.js";
import { FakeHookRunner } from "../dist/testing/fake-hooks.js";

const PERIOD_MS = 1_000;
const FAILURE_THRESHOLD = 3;
/** Generous: under the load of 1,000 rollouts a slow answer must not count as a failure. */
const PROBE_TIMEOUT_MS = 2_000;
const GOAL_MS = FAILURE_THRESHOLD * PERIOD_MS + 100;
/** The engine's default (src/engine/engine.ts), which a user runs with unless they set passIntervalMs. */
const DEFAULT_PASS_INTERVAL_MS = 200;
/** Bounds (real time) of each waiting loop. */
const SETUP_TIMEOUT_MS = 360_000;
const REACTION_TIMEOUT_MS = 60_000;
const SETUP_POLL_MS = 1_000;
/** Admin calls of the bench's own polling at once (it shares the engine's process and the daemon). */
const POLL_CONCURRENCY = 20;
const SAMPLE = 20;
const REQUESTS_PER_SAMPLE = 20;

const option = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const PASS_INTERVAL_MS = Number(option("--pass-interval", DEFAULT_PASS_INTERVAL_MS));
/**
 * Passes while the releases are brought to 50%. At the measured interval, the releases already at 50%
 * keep the engine's thread saturated while the others' first `ensure` calls wait in the builtin client's
 * per-environment queue one by one (each a round trip to the daemon): that made setup take 6 minutes and
 * more at N = 1,000. The measured interval is set back settleMsFor(n) before t0.
 */
const SETUP_OPTION = option("--setup-pass-interval", undefined);
/** 5 s from 100 releases on (below, the measured interval does not saturate the engine's thread). */
const setupPassIntervalFor = (n) =>
  SETUP_OPTION !== undefined ? Number(SETUP_OPTION) : n >= 100 ? 5_000 : PASS_INTERVAL_MS;
/** Long enough for every release's pause of the setup interval to end: all pass at the measured one. */
const settleMsFor = (n) => setupPassIntervalFor(n) + 3_000;
const PROFILE_DIR = option("--profile", undefined);

/** The instances' process: one request/answer exchange per message over the IPC channel. */
class Instances {
  seq = 0;
  waiting = new Map();
  constructor() {
    const script = join(dirname(fileURLToPath(import.meta.url)), "reaction-instances.mjs");
    this.child = fork(script, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child.on("message", (answer) => {
      const pending = this.waiting.get(answer.seq);
      this.waiting.delete(answer.seq);
      if (answer.error) pending?.reject(new Error(`instances' process: ${answer.error}`));
      else pending?.resolve(answer);
    });
    this.child.on("exit", (code) => {
      for (const pending of this.waiting.values())
        pending.reject(new Error(`instances' process exited ${code}`));
      this.waiting.clear();
    });
  }
  call(op, payload = {}) {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      this.child.send({ seq, op, ...payload });
    });
  }
  async close() {
    if (this.child.connected) await this.call("close").catch(() => {});
    if (this.child.exitCode === null) this.child.kill("SIGTERM");
  }
}

/** A service's instances, run by the instances' process; this side keeps the list. */
class BenchTarget {
  endpoints = new Map();
  constructor(service, instances) {
    this.service = service;
    this.instances = instances;
  }
  async list(version) {
    return [...this.endpoints.values()].filter((e) => version === undefined || e.version === version);
  }
  async start(version, count) {
    const { endpoints } = await this.instances.call("start", { service: this.service, version, count });
    for (const endpoint of endpoints) this.endpoints.set(endpoint.id, endpoint);
    return endpoints;
  }
  async stop(endpoints) {
    const ids = endpoints.map((e) => e.id).filter((id) => this.endpoints.delete(id));
    if (ids.length > 0) await this.instances.call("stop", { ids });
  }
}

function serviceConfig(name) {
  return {
    name,
    target: { type: "process", replicas: 1 },
    router: { type: "builtin", listen: 0, host: "127.0.0.1", holdTimeout: 30_000, holdMaxRequests: 1000 },
    health: [
      {
        type: "http",
        name: "http",
        path: "/health",
        status: [200, 399],
        headers: {},
        initialDelay: 0,
        period: PERIOD_MS,
        timeout: PROBE_TIMEOUT_MS,
        failureThreshold: FAILURE_THRESHOLD,
        successThreshold: 1,
      },
    ],
    strategy: {
      type: "canary",
      steps: [{ setWeight: 50 }, { pause: { duration: 3_600_000 } }],
      progressDeadline: 600_000,
    },
    dependsOn: [],
    hooks: { pre: [], post: [] },
    pauseTimeout: 3_600_000,
  };
}

function harness(n, instances) {
  const dir = mkdtempSync(join(tmpdir(), "tandem-bench-reaction-"));
  const file = join(dir, "tandem.db");
  const store = new SqliteStore(file);
  const project = `reaction${process.pid}n${n}`;
  const names = Array.from({ length: n }, (_, i) => `s${String(i).padStart(5, "0")}`);
  const configs = Object.fromEntries(names.map((name) => [name, serviceConfig(name)]));
  const config = {
    project,
    file: join(dir, "tandem.yaml"),
    baseDir: dir,
    stateDir: dir,
    store: { type: "sqlite", path: file },
    environments: {
      staging: { name: "staging", freeze: [], hooks: { pre: [], post: [] }, services: configs },
    },
    services: configs,
    rollbackPolicy: "service",
    hooks: { pre: [], post: [] },
  };
  const targets = new Map(names.map((name) => [name, new BenchTarget(name, instances)]));
  const hooks = new FakeHookRunner(systemClock);
  /** The probe monitors' failure time of each endpoint (detection), told by their onFailed. */
  const failedAt = new Map();
  /** The engine's warnings and errors (and its "pass failed, will retry"), counted by message. */
  const logged = new Map();
  const count = (level) => (message, fields) => {
    const text = `${level}: ${message}${fields?.error ? ` (${String(fields.error).slice(0, 160)})` : ""}`;
    const key = text.replace(/s\d{5}/g, "sNNNNN").replace(/pid \d+/g, "pid N");
    logged.set(key, (logged.get(key) ?? 0) + 1);
  };
  const log = { debug: count("debug"), info() {}, warn: count("warn"), error: count("error") };
  const engineOptions = {
    store,
    config,
    log,
    plugins: {
      createTarget: (_config, context) => targets.get(context.service),
      createRouter,
      createMonitor: (service, clock, target) => {
        const monitor = createMonitor(service, clock, target);
        monitor.onFailed((endpoint, health) => failedAt.set(endpoint.id, health.failure.at));
        return monitor;
      },
      createHookRunner: () => hooks,
    },
    serviceConfig: (release, name) => config.environments[release.environment].services[name],
    passIntervalMs: setupPassIntervalFor(n),
  };
  const engine = new Engine(engineOptions);
  /** The engine reads passIntervalMs at every pause between two passes. */
  const setPassInterval = (ms) => {
    engineOptions.passIntervalMs = ms;
  };
  const create = (service, version) =>
    createRelease(
      { environment: "staging", services: [{ service, version }], actor: "bench" },
      { store, config, now: Date.now(), snapshot: () => ({}), lease: (id) => engine.leaseFor(id) },
    );
  return { dir, store, project, names, targets, engine, create, failedAt, logged, setPassInterval };
}

/** Admin calls over kept-alive connections of node:http (cheaper than fetch in the engine's process). */
const adminAgent = new Agent({ keepAlive: true, maxSockets: POLL_CONCURRENCY });

function admin(daemon, method, path, retries = 2) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: daemon.adminPort,
        method,
        path,
        agent: adminAgent,
        headers: { authorization: `Bearer ${daemon.token}` },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => {
          if (res.statusCode >= 200 && res.statusCode < 300) resolve(JSON.parse(text));
          else reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
        });
        res.on("error", reject);
      },
    );
    req.on("error", (error) => {
      // A kept-alive socket the server closed as it was reused: try again on a new one.
      if (retries > 0 && method === "GET") resolve(admin(daemon, method, path, retries - 1));
      else reject(error);
    });
    req.end();
  });
}

/** `check` over every item, at most POLL_CONCURRENCY at once; the items for which it returned false. */
async function pendingOf(items, check) {
  const pending = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      if (!(await check(item))) pending.push(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(POLL_CONCURRENCY, items.length) }, worker));
  return pending;
}

/**
 * Runs `check` over the pending items every `pollMs` until none is left; bounded by `timeoutMs`, after
 * which it throws, or (`partial`) returns the items still pending.
 */
async function until(items, timeoutMs, pollMs, what, check, partial = false) {
  let pending = [...items];
  const deadline = Date.now() + timeoutMs;
  while (pending.length > 0) {
    if (Date.now() > deadline && partial) return pending;
    if (Date.now() > deadline) throw new Error(`${pending.length} of ${items.length} still not ${what}`);
    pending = await pendingOf(pending, check);
    if (pending.length > 0) await new Promise((r) => setTimeout(r, pollMs));
  }
  return pending;
}

function get(port) {
  return fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
}

function daemonProcesses(project) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes("daemon.js") && cmdline.includes(`${project}/`)) pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const progress = (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] };
};

/** CPU profiles of the engine's process, phase by phase (--profile DIR), through the inspector. */
class Profiler {
  constructor(dir) {
    this.dir = dir;
  }
  async begin() {
    if (!this.dir) return;
    mkdirSync(this.dir, { recursive: true });
    this.session = new Session();
    this.session.connect();
    await this.session.post("Profiler.enable");
    await this.session.post("Profiler.setSamplingInterval", { interval: 1000 });
    await this.session.post("Profiler.start");
  }
  async end(name) {
    if (!this.dir) return;
    const { profile } = await this.session.post("Profiler.stop");
    this.session.disconnect();
    writeFileSync(join(this.dir, `${name}.cpuprofile`), JSON.stringify(profile));
  }
}

/** The CPU used by the engine's, the instances' and the daemon's processes over a window, as cores. */
function cpuMeter(pids) {
  const at = Date.now();
  const before = pids.map(cpuSeconds);
  return () => {
    const wall = (Date.now() - at) / 1000;
    return pids.map((pid, i) => (cpuSeconds(pid) - before[i]) / wall);
  };
}

async function run(n) {
  const instances = new Instances();
  const h = harness(n, instances);
  const profiler = new Profiler(PROFILE_DIR && join(PROFILE_DIR, `n${n}`));
  const controller = new AbortController();
  // One child signal per release, as the server's runActive gives them: 1,000 releases' listeners on one
  // signal would make each addEventListener scan a list of thousands (Node checks for duplicates).
  const fanout = new AbortFanout(controller.signal);
  const runs = [];
  const load = [loadavg()[0]];
  try {
    await h.store.migrate();
    await profiler.begin();
    const phases = {};
    const setupStart = Date.now();
    let phaseStart = setupStart;
    const phase = (name) => {
      phases[name] = Date.now() - phaseStart;
      phaseStart = Date.now();
    };
    // One release per service: their passes run side by side (a release's rollouts go one by one).
    const drive = async (version) => {
      const ids = [];
      for (const name of h.names) ids.push((await h.create(name, version)).id);
      phase(`create ${version}`);
      return ids.map((id) => {
        const child = fanout.child();
        return h.engine.run(id, child.signal).finally(child.done);
      });
    };
    progress(`N=${n}: deploying 1.0.0`);
    const first = await Promise.all(await drive("1.0.0"));
    phase("deploy 1.0.0");
    const notOk = first.filter((r) => r.status !== "succeeded");
    if (notOk.length > 0) throw new Error(`${notOk.length} first releases ended ${notOk[0].status}`);
    const daemon = await h.store.getRouter(h.project, "staging", "*");
    progress(`N=${n}: canary of 2.0.0`);
    const ended = new Map();
    for (const [i, p] of (await drive("2.0.0")).entries()) {
      runs.push(
        p.then(
          (r) => ended.set(h.names[i], { at: Date.now(), r }),
          (error) => {
            // A release whose run() threw is no longer driven: counted with the engine's errors.
            ended.set(h.names[i], { at: Date.now(), r: { status: "threw" } });
            h.logged.set(`run threw: ${error}`, (h.logged.get(`run threw: ${error}`) ?? 0) + 1);
          },
        ),
      );
    }

    const canaryOf = new Map();
    const notReady = await until(
      h.names,
      SETUP_TIMEOUT_MS,
      SETUP_POLL_MS,
      "serving the canary at 50%",
      async (name) => {
        // Under load a probe may fail a healthy canary before the bench does: left out, and counted.
        if (ended.has(name)) return true;
        // Not yet known to the daemon (404: its first ensure is still queued) or slow: asked again.
        const table = await admin(daemon, "GET", `/services/${name}/routes`).catch(() => undefined);
        if (!table) return false;
        const canary = table.backends.find((b) => b.version === "2.0.0");
        if (canary?.weight !== 50 || canary.endpoints.length !== 1) return false;
        canaryOf.set(name, canary.endpoints[0].id);
        return true;
      },
      true,
    );
    phase("canary to 50%");
    const setupMs = Date.now() - setupStart;
    await profiler.end("setup");

    h.setPassInterval(PASS_INTERVAL_MS);
    await new Promise((r) => setTimeout(r, settleMsFor(n)));
    // Failed by the probes before the switch: ended, or failed by their monitor with the release still
    // rolling back. The engine's passes at this N may not bring every canary to 50% within the bound:
    // the rest are left out, counted.
    const failedEarly = (name) => ended.has(name) || h.failedAt.has(canaryOf.get(name));
    const early = h.names.filter(failedEarly);
    const measured = h.names.filter((name) => canaryOf.has(name) && !failedEarly(name));
    progress(
      `N=${n}: every router serves 50/50; passes every ${PASS_INTERVAL_MS} ms for ${settleMsFor(n)} ms; failing every canary instance`,
    );

    await profiler.begin();
    const meter = cpuMeter([process.pid, instances.child.pid, daemon.pid]);
    // How busy the engine's thread is while the probes detect: its event-loop delay, and its passes.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const passes = [];
    const unobserve = h.engine.observePasses((pass) => passes.push(pass.seconds * 1000));
    const windowStart = Date.now();
    await instances.call("gaps", { reset: true });
    const { at: t0 } = await instances.call("fail", { ids: measured.map((name) => canaryOf.get(name)) });
    // Detection is told by the monitors in this process: waited for without polling anyone.
    const canaries = measured.map((name) => canaryOf.get(name));
    const detectDeadline = Date.now() + REACTION_TIMEOUT_MS;
    while (canaries.some((id) => !h.failedAt.has(id)) && Date.now() < detectDeadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const cores = meter();
    loopDelay.disable();
    unobserve();
    const windowS = (Date.now() - windowStart) / 1000;
    // The histogram holds the intervals between its 10 ms samples: the delay is what exceeds 10 ms.
    const beyond = (ns) => Math.max(0, ns / 1e6 - 10);
    const delay = {
      p50: beyond(loopDelay.percentile(50)),
      p99: beyond(loopDelay.percentile(99)),
      max: beyond(loopDelay.max),
    };
    const passStats = { perSecond: passes.length / windowS, ...stats(passes) };
    const gaps = await instances.call("gaps", { reset: true });
    await profiler.end("reaction");

    // The daemon's unservedAt is a recorded time: read once per service after detection, so the bench's
    // reads do not load the engine's process or the daemon during the reaction.
    const detection = [];
    const eject = [];
    const reactions = [];
    let byEject = 0;
    const sample = new Set(measured.filter((_, i) => i % Math.max(1, Math.floor(n / SAMPLE)) === 0));
    const checks = [];
    const notReacted = await until(
      measured,
      REACTION_TIMEOUT_MS,
      200,
      "reacted",
      async (name) => {
        const id = canaryOf.get(name);
        const view = await admin(daemon, "GET", `/services/${name}`);
        const at = view.unservedAt[id];
        if (at === undefined) return false;
        reactions.push(at - t0);
        const failed = h.failedAt.get(id);
        if (failed !== undefined) {
          detection.push(failed - t0);
          eject.push(at - failed);
        }
        if (view.ejectedAt[id] === at) byEject++;
        if (sample.has(name)) {
          const bodies = Array.from({ length: REQUESTS_PER_SAMPLE }, () => get(view.listenPort));
          checks.push(Promise.all(bodies));
        }
        return true;
      },
      true,
    );
    const bodies = (await Promise.all(checks)).flat();
    const notStable = bodies.filter((b) => b !== "1.0.0").length;

    // The measured releases roll back (their passes are slow at large N): waited for, bounded, counted.
    await until(measured, REACTION_TIMEOUT_MS, 200, "ended", async (name) => ended.has(name), true);
    const over = measured.filter((name) => ended.has(name));
    const rolledBack = over.filter((name) => ended.get(name).r.status === "rolled_back").length;
    const endMs = over.map((name) => ended.get(name).at - t0);
    const pids = daemonProcesses(h.project);
    load.push(loadavg()[0]);
    const result = {
      n,
      measured: measured.length,
      early: early.length,
      notReady: notReady.length,
      notReacted: notReacted.length,
      setupMs,
      phases,
      detection: stats(detection),
      eject: stats(eject),
      total: stats(reactions),
      end: stats(endMs),
      gaps,
      cores,
      delay,
      passStats,
      load,
      rolledBack,
      byEject,
      sampled: bodies.length,
      notStable,
      daemons: pids.length,
      daemonRssMb: pids.length === 1 ? rssMb(pids[0]) : Number.NaN,
      engineRssMb: process.memoryUsage().rss / 2 ** 20,
    };
    result.logged = [...h.logged].sort((a, b) => b[1] - a[1]).slice(0, 8);
    await admin(daemon, "POST", "/shutdown");
    await waitForExit(daemon.pid, 40_000);
    return result;
  } catch (error) {
    try {
      const log = readFileSync(join(h.dir, "routers", "staging.log"), "utf8")
        .trim()
        .split("\n");
      console.error(`router log, last lines:\n${log.slice(-10).join("\n")}`);
    } catch {}
    throw error;
  } finally {
    controller.abort();
    await Promise.allSettled(runs);
    h.engine.close();
    await instances.close();
    for (const pid of daemonProcesses(h.project)) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {}
    }
    await h.store.close();
    rmSync(h.dir, { recursive: true, force: true });
  }
}

const ms = (v) => (v === undefined ? "-" : `${Math.round(v)} ms`);
const ratio = (v) => (v === undefined ? "-" : `${(v / GOAL_MS).toFixed(2)}×`);
const row = (s) =>
  `p50 ${ms(s.p50)} (${ratio(s.p50)})  p99 ${ms(s.p99)} (${ratio(s.p99)})  max ${ms(s.max)} (${ratio(s.max)})`;

async function main() {
  const sizes = option("--n", "1,1000").split(",").map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error("--n wants sizes like 1,1000");
  if (!Number.isInteger(PASS_INTERVAL_MS) || PASS_INTERVAL_MS < 1)
    throw new Error("--pass-interval wants ms");
  console.log(`Tandem router reaction time — node ${process.version}, builtin router, one daemon`);
  console.log(
    `probe: http every ${PERIOD_MS} ms, failureThreshold ${FAILURE_THRESHOLD}, timeout ${PROBE_TIMEOUT_MS} ms; ` +
      `engine pass interval ${PASS_INTERVAL_MS} ms (during setup: ${SETUP_OPTION === undefined ? "5000 ms from N = 100 on" : `${SETUP_OPTION} ms`}; the measured one from setup interval + 3 s before t0)` +
      (PASS_INTERVAL_MS === DEFAULT_PASS_INTERVAL_MS
        ? " (the default)"
        : ` (the default is ${DEFAULT_PASS_INTERVAL_MS} ms)`),
  );
  console.log(
    "instances in their own process; engine (+ the bench's bookkeeping) in this one; the router daemon in its own",
  );
  console.log(
    `goal (the anchor): failureThreshold × period + 100 ms = ${GOAL_MS} ms; ratios are of the goal`,
  );
  console.log("");
  const rows = [];
  for (const n of sizes) {
    const r = await run(n);
    rows.push(r);
    console.log(`N=${String(n).padEnd(5)} detection (t0 → monitor failed)  ${row(r.detection)}`);
    console.log(`        eject (failed → unserved)      ${row(r.eject)}`);
    console.log(`        reaction (t0 → unserved)       ${row(r.total)}`);
    console.log(
      `        probe period seen by the instances during detection: ${r.gaps.count} gaps, p50 ${ms(r.gaps.p50)} ` +
        `p99 ${ms(r.gaps.p99)} max ${ms(r.gaps.max)}; CPU (cores) engine ${r.cores[0].toFixed(2)}, ` +
        `instances ${r.cores[1].toFixed(2)}, daemon ${r.cores[2].toFixed(2)}`,
    );
    console.log(
      `        measured ${r.measured} (left out: ${r.early} canaries failed by the probes before the switch, ` +
        `${r.notReady} not at 50% within ${SETUP_TIMEOUT_MS / 1000} s; ${r.notReacted} not unserved within ` +
        `${REACTION_TIMEOUT_MS / 1000} s); rolled back within ${REACTION_TIMEOUT_MS / 1000} s ` +
        `${r.rolledBack}/${r.measured}, ended p50 ${ms(r.end.p50)} p99 ${ms(r.end.p99)} after t0; ` +
        `requests after the reaction: ${r.sampled - r.notStable}/${r.sampled} to stable; ` +
        `${r.byEject}/${r.measured} taken out by eject (the others by a new table)`,
    );
    console.log(
      `        engine's thread during detection: event-loop delay p50 ${ms(r.delay.p50)} p99 ${ms(r.delay.p99)} ` +
        `max ${ms(r.delay.max)}; ${r.passStats.perSecond.toFixed(0)} passes/s (${n} releases every ` +
        `${PASS_INTERVAL_MS} ms would be ${((n * 1000) / PASS_INTERVAL_MS).toFixed(0)}/s), a pass's wall time ` +
        `p50 ${ms(r.passStats.p50)} p99 ${ms(r.passStats.p99)}`,
    );
    for (const [message, times] of r.logged) console.log(`        engine log ×${times}: ${message}`);
    const phases = Object.entries(r.phases)
      .map(([name, v]) => `${name} ${ms(v)}`)
      .join(", ");
    console.log(
      `        router daemons: ${r.daemons} process, RSS ${r.daemonRssMb.toFixed(0)} MB; engine RSS ` +
        `${r.engineRssMb.toFixed(0)} MB; setup ${ms(r.setupMs)} (${phases}); load (1 min) ${r.load.map((l) => l.toFixed(2)).join(" → ")}`,
    );
  }
  const met = rows.every(
    (r) =>
      r.total.max <= GOAL_MS &&
      r.notStable === 0 &&
      r.daemons === 1 &&
      r.early === 0 &&
      r.notReady === 0 &&
      r.notReacted === 0,
  );
  console.log("");
  console.log(
    `goal: every reaction ≤ ${GOAL_MS} ms, only stable after it, one daemon — ${met ? "met" : "NOT met"}`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
