import type { Clock } from "../core/clock.js";
import type { Endpoint } from "../core/types.js";
import { hostPort } from "./network.js";
import type { EndpointHealth, Probe, ProbeResult } from "./types.js";

/** Period used when no probe is configured (the one round that makes an endpoint ready). */
const DEFAULT_PERIOD_MS = 1_000;

/**
 * Shared abort reasons: `abort()` without one builds a DOMException with a stack trace each time, and
 * thousands of endpoints abort a check's controller every round.
 */
const CHECK_SETTLED = new Error("probe check settled");
const STOPPED = new Error("probe monitor stopped watching the endpoint");
/** Resolved sentinel: a check that has already settled wins a race against it. */
const NOT_YET = Symbol("not settled");
const notYet = Promise.resolve(NOT_YET);

interface WatchedEndpoint {
  endpoint: Endpoint;
  controller: AbortController;
  health: EndpointHealth;
  /** Consecutive failures of each probe, by index in `probes`. */
  probeFailures: number[];
  loop: Promise<void>;
  /** Frozen copy of `health` handed out by health()/all(); dropped when a round or failure changes it. */
  snapshot?: EndpointHealth;
  /** Per probe, the controller of its next check: kept while checks settle at once, never aborted then. */
  checkControllers?: Map<Probe, AbortController>;
}

/** A frozen copy: readers share it instead of cloning at every read. */
function frozen(health: EndpointHealth): EndpointHealth {
  const copy: EndpointHealth = { ...health };
  if (health.failure) copy.failure = Object.freeze({ ...health.failure });
  if (health.lastResult) copy.lastResult = Object.freeze({ ...health.lastResult });
  return Object.freeze(copy);
}

/**
 * Probes endpoints with Kubernetes semantics, timed only through the injected Clock. Per endpoint:
 * wait `initialDelay`, then every `period` run every probe at once (each bounded by its `timeout`).
 * The endpoint is `ready` after `successThreshold` consecutive rounds in which every probe passed, and
 * `failed` once any probe has failed `failureThreshold` times in a row. Failed is final: the loop
 * stops and the failure (probe, host:port, message, time) stays readable. A ready endpoint keeps
 * being probed and fails the same way.
 *
 * With several probes the endpoint uses the longest `initialDelay`, the shortest `period` and the
 * largest `successThreshold`; `failureThreshold` and `timeout` stay per probe. With no probes an
 * endpoint is ready after its first round. A round in which a check is `pending` (a target's own check
 * while it deploys) counts neither as a success nor as a failure.
 */
/** Told once per endpoint, at the moment it turns failed. */
export type FailedListener = (endpoint: Endpoint, health: EndpointHealth) => void;

export class ProbeMonitor {
  private readonly watched = new Map<string, WatchedEndpoint>();
  private readonly failedListeners = new Set<FailedListener>();
  private readonly initialDelay: number;
  private readonly period: number;
  private readonly successThreshold: number;

  constructor(
    private readonly probes: Probe[],
    private readonly clock: Clock,
  ) {
    const timings = probes.map((probe) => probe.config);
    this.initialDelay = Math.max(0, ...timings.map((timing) => timing.initialDelay));
    const shortestPeriod = Math.min(...timings.map((timing) => timing.period));
    this.period = timings.length ? Math.max(1, shortestPeriod) : DEFAULT_PERIOD_MS;
    this.successThreshold = Math.max(1, ...timings.map((timing) => timing.successThreshold));
  }

  /** Starts monitoring the endpoints not yet watched and stops monitoring (and forgets) the ones not listed. */
  watch(endpoints: Endpoint[]): void {
    const listed = new Set(endpoints.map((endpoint) => endpoint.id));
    for (const [id, watched] of this.watched) {
      if (listed.has(id)) continue;
      watched.controller.abort(STOPPED);
      this.watched.delete(id);
    }
    for (const endpoint of endpoints) {
      if (this.watched.has(endpoint.id)) continue;
      const watched: WatchedEndpoint = {
        endpoint,
        controller: new AbortController(),
        health: {
          endpointId: endpoint.id,
          state: "starting",
          consecutiveSuccesses: 0,
          consecutiveFailures: 0,
        },
        probeFailures: this.probes.map(() => 0),
        loop: Promise.resolve(),
      };
      this.watched.set(endpoint.id, watched);
      watched.loop = this.run(watched);
    }
  }

  /** Calls `listener` when an endpoint turns failed (final), before anyone polls `health`; returns the unsubscribe. */
  onFailed(listener: FailedListener): () => void {
    this.failedListeners.add(listener);
    return () => this.failedListeners.delete(listener);
  }

  /** A frozen snapshot, shared by every read until the endpoint's health changes. */
  health(endpointId: string): EndpointHealth | undefined {
    const watched = this.watched.get(endpointId);
    if (!watched) return undefined;
    watched.snapshot ??= frozen(watched.health);
    return watched.snapshot;
  }

  all(): EndpointHealth[] {
    return [...this.watched.values()].map((watched) => {
      watched.snapshot ??= frozen(watched.health);
      return watched.snapshot;
    });
  }

  /** Cancels every loop (no sleeper or timer is left behind) and forgets every endpoint. */
  async stop(): Promise<void> {
    const loops = [...this.watched.values()].map((watched) => {
      watched.controller.abort(STOPPED);
      return watched.loop;
    });
    this.watched.clear();
    await Promise.all(loops);
  }

  private async run(watched: WatchedEndpoint): Promise<void> {
    const { signal } = watched.controller;
    try {
      if (this.initialDelay > 0) await this.clock.sleep(this.initialDelay, signal);
      // Rounds are due on a grid of the period from the first one: a round that starts late (a busy
      // event loop) does not push the ones after it back.
      let dueAt = this.clock.now();
      while (!signal.aborted) {
        const results = await Promise.all(
          this.probes.map((probe) => this.checkWithTimeout(probe, watched.endpoint, signal, watched)),
        );
        if (signal.aborted) return;
        this.recordRound(watched, results);
        watched.snapshot = undefined;
        if (watched.health.state === "failed") return;
        dueAt += this.period;
        const now = this.clock.now();
        // More than a whole period behind (a check that took longer than the period): the missed rounds
        // are dropped rather than run back to back, and the grid starts again from now.
        if (dueAt <= now - this.period) dueAt = now;
        const wait = dueAt - now;
        if (wait > 0) await this.clock.sleep(wait, signal);
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      if (signal.aborted) return;
      // A bug, not an unhealthy endpoint: surface it as a failure rather than an unhandled rejection.
      this.markFailed(watched, "monitor", `probe monitor error: ${(error as Error)?.message ?? error}`);
      watched.snapshot = undefined;
    }
  }

  /**
   * One check bounded by the probe's timeout in clock time; never rejects. A check that has settled by
   * the time it returns (the sim's, a cached result) skips the timeout race: no sleeper, no listener.
   */
  private async checkWithTimeout(
    probe: Probe,
    endpoint: Endpoint,
    loopSignal: AbortSignal,
    watched: WatchedEndpoint,
  ): Promise<ProbeResult> {
    const threw = (error: unknown): ProbeResult => ({
      ok: false,
      message: `probe threw: ${(error as Error)?.message ?? String(error)}`,
      durationMs: 0,
    });
    watched.checkControllers ??= new Map();
    const spare = watched.checkControllers;
    const controller = spare.get(probe) ?? new AbortController();
    // Taken back until the check has settled: a check that outlives its tick may be aborted (timed out).
    spare.delete(probe);
    let result: Promise<ProbeResult>;
    try {
      result = Promise.resolve(probe.check(endpoint, controller.signal));
    } catch (error) {
      return threw(error);
    }
    // Raced as returned: a `.catch` first would add a tick and an already-settled check would lose.
    const settled = await Promise.race([result, notYet]).catch(threw);
    if (settled !== NOT_YET) {
      if (!controller.signal.aborted) spare.set(probe, controller);
      return settled;
    }
    const checked = result.catch(threw);

    const onLoopAbort = () => controller.abort(loopSignal.reason);
    if (loopSignal.aborted) onLoopAbort();
    else loopSignal.addEventListener("abort", onLoopAbort, { once: true });
    const timeoutMs = probe.config.timeout;
    const timedOut = this.clock.sleep(timeoutMs, controller.signal).then(
      (): ProbeResult => ({ ok: false, message: `timed out after ${timeoutMs}ms`, durationMs: timeoutMs }),
      (): ProbeResult => ({ ok: false, message: "aborted", durationMs: 0 }),
    );
    try {
      return await Promise.race([checked, timedOut]);
    } finally {
      controller.abort(CHECK_SETTLED);
      loopSignal.removeEventListener("abort", onLoopAbort);
    }
  }

  private recordRound(watched: WatchedEndpoint, results: ProbeResult[]): void {
    const { health, probeFailures } = watched;
    const at = this.clock.now();
    const pending = results.findIndex((result) => result.pending === true);
    if (pending >= 0) {
      // Still being deployed: the round counts neither way (the endpoint stays as it is).
      health.lastResult = { ...results[pending]!, probe: this.probes[pending]!.name, at };
      return;
    }
    results.forEach((result, index) => {
      probeFailures[index] = result.ok ? 0 : (probeFailures[index] ?? 0) + 1;
    });
    const firstFailing = results.findIndex((result) => !result.ok);
    const shownIndex = firstFailing >= 0 ? firstFailing : results.length - 1;
    const shown = results[shownIndex];
    if (shown) health.lastResult = { ...shown, probe: this.probes[shownIndex]!.name, at };

    health.consecutiveFailures = Math.max(0, ...probeFailures);
    if (firstFailing < 0) {
      health.consecutiveSuccesses += 1;
      if (health.state === "starting" && health.consecutiveSuccesses >= this.successThreshold) {
        health.state = "ready";
      }
      return;
    }
    health.consecutiveSuccesses = 0;
    const tripped = this.probes.findIndex(
      (probe, index) => (probeFailures[index] ?? 0) >= Math.max(1, probe.config.failureThreshold),
    );
    if (tripped >= 0) this.markFailed(watched, this.probes[tripped]!.name, results[tripped]!.message);
  }

  private markFailed(watched: WatchedEndpoint, probe: string, message: string): void {
    const { endpoint, health } = watched;
    health.state = "failed";
    health.failure = {
      probe,
      endpoint: hostPort(endpoint.host, endpoint.port),
      message,
      at: this.clock.now(),
    };
    watched.snapshot = undefined;
    for (const listener of this.failedListeners) {
      try {
        listener(endpoint, structuredClone(health));
      } catch {
        // A listener's bug must not stop the probing of other endpoints; the state is still readable.
      }
    }
  }
}
