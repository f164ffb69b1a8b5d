import type { Clock } from "../core/clock.js";
import type { Endpoint } from "../core/types.js";
import { hostPort } from "./network.js";
import { type Instant, type Ticker, tickerOf, type Waiter } from "./ticker.js";
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

/**
 * Controllers whose signal no check kept: a check that has settled by the time it returns (the sim's, a
 * cached result) never sees its signal aborted, so the signal is handed to the next check, of any
 * endpoint. A check that is still running when it returns keeps its controller (it may be aborted at
 * its timeout or when the endpoint stops being watched). An AbortSignal costs ~0.7 kB; one per endpoint
 * and probe was most of the monitor's memory at thousands of endpoints.
 */
const spareControllers: AbortController[] = [];
const MAX_SPARE_CONTROLLERS = 64;

function spareController(): AbortController {
  return spareControllers.pop() ?? new AbortController();
}

function giveBack(controller: AbortController): void {
  if (!controller.signal.aborted && spareControllers.length < MAX_SPARE_CONTROLLERS)
    spareControllers.push(controller);
}

/** A check still running when it returned: its controller and its result, bounded by its timeout. */
interface Running {
  controller: AbortController;
  result: Promise<ProbeResult>;
}

/** One watched endpoint: its health (frozen, replaced when a round changes it) and its next round. */
class Watched implements Waiter {
  /** Due time of the current (or next) round, on the period's grid from the first round (NaN before it). */
  dueAt = Number.NaN;
  /** Set when no longer watched: a round in flight records nothing, no round follows. */
  stopped = false;
  /** The ticker's instant this endpoint sleeps until, while it sleeps. */
  instant?: Instant;
  /** The round in flight, while one is. */
  round?: Promise<void>;
  /** Controllers of the checks still running, aborted when the endpoint stops being watched. */
  running?: Set<AbortController>;

  constructor(
    readonly monitor: ProbeMonitor,
    readonly endpoint: Endpoint,
    public health: EndpointHealth,
    /** Consecutive failures of each probe, by index in the monitor's probes. */
    readonly probeFailures: number[],
  ) {}

  wake(): Promise<unknown> {
    this.instant = undefined;
    return this.monitor.startRound(this);
  }
}

/**
 * Probes endpoints with Kubernetes semantics, timed only through the injected Clock. Per endpoint:
 * wait `initialDelay`, then every `period` run every probe at once (each bounded by its `timeout`).
 * The endpoint is `ready` after `successThreshold` consecutive rounds in which every probe passed, and
 * `failed` once any probe has failed `failureThreshold` times in a row. Failed is final: the rounds
 * stop and the failure (probe, host:port, message, time) stays readable. A ready endpoint keeps
 * being probed and fails the same way.
 *
 * With several probes the endpoint uses the longest `initialDelay`, the shortest `period` and the
 * largest `successThreshold`; `failureThreshold` and `timeout` stay per probe. With no probes an
 * endpoint is ready after its first round. A round in which a check is `pending` (a target's own check
 * while it deploys) counts neither as a success nor as a failure.
 *
 * Endpoints wait for their rounds on the clock's shared Ticker: every endpoint due at the same instant,
 * of any monitor on that clock, waits behind one sleep of the clock.
 */
/** Told once per endpoint, at the moment it turns failed. */
export type FailedListener = (endpoint: Endpoint, health: EndpointHealth) => void;

export class ProbeMonitor {
  private readonly watched = new Map<string, Watched>();
  private readonly failedListeners = new Set<FailedListener>();
  private readonly ticker: Ticker;
  private readonly initialDelay: number;
  private readonly period: number;
  private readonly successThreshold: number;

  constructor(
    private readonly probes: Probe[],
    private readonly clock: Clock,
  ) {
    this.ticker = tickerOf(clock);
    let initialDelay = 0;
    let period = Number.POSITIVE_INFINITY;
    let successThreshold = 1;
    for (const { config } of probes) {
      initialDelay = Math.max(initialDelay, config.initialDelay);
      period = Math.min(period, config.period);
      successThreshold = Math.max(successThreshold, config.successThreshold);
    }
    this.initialDelay = initialDelay;
    this.period = probes.length ? Math.max(1, period) : DEFAULT_PERIOD_MS;
    this.successThreshold = successThreshold;
  }

  /** Starts monitoring the endpoints not yet watched and stops monitoring (and forgets) the ones not listed. */
  watch(endpoints: Endpoint[]): void {
    // The same endpoints as before (every pass of a rollout that waits): nothing to build.
    if (endpoints.length === this.watched.size && endpoints.every((e) => this.watched.has(e.id))) return;
    const listed = new Set(endpoints.map((endpoint) => endpoint.id));
    for (const [id, watched] of this.watched) {
      if (listed.has(id)) continue;
      this.unwatch(watched);
      this.watched.delete(id);
    }
    for (const endpoint of endpoints) {
      if (this.watched.has(endpoint.id)) continue;
      const health: EndpointHealth = new Health(endpoint.id, "starting", 0, 0);
      const watched = new Watched(
        this,
        endpoint,
        health,
        this.probes.map(() => 0),
      );
      this.watched.set(endpoint.id, watched);
      if (this.initialDelay > 0)
        watched.instant = this.ticker.add(this.clock.now() + this.initialDelay, watched);
      else this.startRound(watched);
    }
  }

  /** Calls `listener` when an endpoint turns failed (final), before anyone polls `health`; returns the unsubscribe. */
  onFailed(listener: FailedListener): () => void {
    this.failedListeners.add(listener);
    return () => this.failedListeners.delete(listener);
  }

  /** A frozen snapshot, shared by every read until the endpoint's health changes. */
  health(endpointId: string): EndpointHealth | undefined {
    return this.watched.get(endpointId)?.health;
  }

  all(): EndpointHealth[] {
    return Array.from(this.watched.values(), (watched) => watched.health);
  }

  /** Cancels every round (no sleeper or timer is left behind) and forgets every endpoint. */
  async stop(): Promise<void> {
    const rounds: Promise<void>[] = [];
    for (const watched of this.watched.values()) {
      this.unwatch(watched);
      if (watched.round) rounds.push(watched.round);
    }
    this.watched.clear();
    await Promise.all(rounds);
  }

  private unwatch(watched: Watched): void {
    watched.stopped = true;
    if (watched.instant) this.ticker.remove(watched.instant, watched);
    watched.instant = undefined;
    for (const controller of watched.running ?? []) controller.abort(STOPPED);
  }

  /**
   * Starts a round of `watched`: every probe's check begins now. Resolves once each check has either
   * settled or been found still running (a few microtasks, never a check's end); the round goes on in
   * `watched.round`.
   */
  startRound(watched: Watched): Promise<unknown> {
    if (watched.stopped) return notYet;
    if (Number.isNaN(watched.dueAt)) watched.dueAt = this.clock.now();
    const begun = Promise.all(this.probes.map((probe) => this.begin(probe, watched)));
    watched.round = this.finishRound(watched, begun);
    return begun;
  }

  private async finishRound(watched: Watched, begun: Promise<(ProbeResult | Running)[]>): Promise<void> {
    try {
      const started = await begun;
      const results = started.some((result) => "controller" in result)
        ? await Promise.all(started.map((result, i) => this.bounded(this.probes[i]!, watched, result)))
        : (started as ProbeResult[]);
      if (watched.stopped) return;
      this.recordRound(watched, results);
      if (watched.health.state === "failed") return;
      // Rounds are due on a grid of the period from the first one: a round that starts late (a busy
      // event loop) does not push the ones after it back.
      watched.dueAt += this.period;
      const now = this.clock.now();
      // More than a whole period behind (a check that took longer than the period): the missed rounds
      // are dropped rather than run back to back, and the grid starts again from now.
      if (watched.dueAt <= now - this.period) watched.dueAt = now;
      if (watched.dueAt > now) watched.instant = this.ticker.add(watched.dueAt, watched);
      else setImmediate(() => this.startRound(watched));
    } catch (error) {
      if (watched.stopped) return;
      // A bug, not an unhealthy endpoint: surface it as a failure rather than an unhandled rejection.
      this.markFailed(watched, "monitor", `probe monitor error: ${(error as Error)?.message ?? error}`);
    } finally {
      watched.round = undefined;
    }
  }

  /**
   * Begins one check; never rejects. A check that has settled by the time it returns (the sim's, a
   * cached result) is its result at once: no sleeper, no listener, its signal handed on. One still
   * running is returned as such, to be bounded by its timeout.
   */
  private async begin(probe: Probe, watched: Watched): Promise<ProbeResult | Running> {
    const controller = spareController();
    let result: Promise<ProbeResult>;
    try {
      result = Promise.resolve(probe.check(watched.endpoint, controller.signal));
    } catch (error) {
      giveBack(controller);
      return threw(error);
    }
    // Raced as returned: a `.catch` first would add a tick and an already-settled check would lose.
    const settled = await Promise.race([result, notYet]).catch(threw);
    if (settled !== NOT_YET) {
      giveBack(controller);
      return settled;
    }
    watched.running ??= new Set();
    watched.running.add(controller);
    if (watched.stopped) controller.abort(STOPPED);
    return { controller, result };
  }

  /** A running check bounded by the probe's timeout in clock time; never rejects. */
  private async bounded(probe: Probe, watched: Watched, begun: ProbeResult | Running): Promise<ProbeResult> {
    if (!("controller" in begun)) return begun;
    const { controller } = begun;
    const checked = begun.result.catch(threw);
    const timeoutMs = probe.config.timeout;
    const timedOut = this.clock.sleep(timeoutMs, controller.signal).then(
      (): ProbeResult => ({ ok: false, message: `timed out after ${timeoutMs}ms`, durationMs: timeoutMs }),
      (): ProbeResult => ({ ok: false, message: "aborted", durationMs: 0 }),
    );
    try {
      return await Promise.race([checked, timedOut]);
    } finally {
      controller.abort(CHECK_SETTLED);
      watched.running?.delete(controller);
    }
  }

  private recordRound(watched: Watched, results: ProbeResult[]): void {
    const { health, probeFailures } = watched;
    const at = this.clock.now();
    const pending = results.findIndex((result) => result.pending === true);
    if (pending >= 0) {
      // Still being deployed: the round counts neither way (the endpoint stays as it is).
      watched.health = withResult(health, health, lastResult(results[pending]!, this.probes[pending]!, at));
      return;
    }
    let firstFailing = -1;
    let consecutiveFailures = 0;
    for (let index = 0; index < results.length; index++) {
      const failures = results[index]!.ok ? 0 : (probeFailures[index] ?? 0) + 1;
      probeFailures[index] = failures;
      consecutiveFailures = Math.max(consecutiveFailures, failures);
      if (firstFailing < 0 && failures > 0) firstFailing = index;
    }
    const shownIndex = firstFailing >= 0 ? firstFailing : results.length - 1;
    const shown = results[shownIndex];
    const last = shown ? lastResult(shown, this.probes[shownIndex]!, at) : health.lastResult;

    if (firstFailing < 0) {
      const consecutiveSuccesses = health.consecutiveSuccesses + 1;
      const ready = health.state === "starting" && consecutiveSuccesses >= this.successThreshold;
      watched.health = withResult(
        health,
        { state: ready ? "ready" : health.state, consecutiveSuccesses, consecutiveFailures },
        last,
      );
      return;
    }
    watched.health = withResult(
      health,
      { state: health.state, consecutiveSuccesses: 0, consecutiveFailures },
      last,
    );
    const tripped = this.probes.findIndex(
      (probe, index) => (probeFailures[index] ?? 0) >= Math.max(1, probe.config.failureThreshold),
    );
    if (tripped >= 0) this.markFailed(watched, this.probes[tripped]!.name, results[tripped]!.message);
  }

  private markFailed(watched: Watched, probe: string, message: string): void {
    const { endpoint, health } = watched;
    const failure = Object.freeze({
      probe,
      endpoint: hostPort(endpoint.host, endpoint.port),
      message,
      at: this.clock.now(),
    });
    watched.health = new Health(
      health.endpointId,
      "failed",
      health.consecutiveSuccesses,
      health.consecutiveFailures,
      failure,
      health.lastResult,
    );
    for (const listener of this.failedListeners) {
      try {
        listener(endpoint, watched.health);
      } catch {
        // A listener's bug must not stop the probing of other endpoints; the state is still readable.
      }
    }
  }
}

function threw(error: unknown): ProbeResult {
  return { ok: false, message: `probe threw: ${(error as Error)?.message ?? String(error)}`, durationMs: 0 };
}

/** A check's result as health shows it: frozen, with the probe's name and the time. */
function lastResult(
  result: ProbeResult,
  probe: Probe,
  at: number,
): NonNullable<EndpointHealth["lastResult"]> {
  const shown: NonNullable<EndpointHealth["lastResult"]> = {
    ok: result.ok,
    message: result.message,
    durationMs: result.durationMs,
    probe: probe.name,
    at,
  };
  if (result.pending !== undefined) shown.pending = result.pending;
  return Object.freeze(shown);
}

/**
 * An endpoint's health, frozen. A class rather than an object literal: a literal's hidden class hangs
 * off the one every small plain object starts from, and in V8 (Node 20) when that one is out of room
 * (objects keyed by service names fill it), each health built and frozen gets a hidden class of its own
 * (~0.3 kB, a new one for every endpoint's every round). A class's instances start from its own.
 */
class Health implements EndpointHealth {
  declare readonly endpointId: string;
  declare readonly state: EndpointHealth["state"];
  declare readonly consecutiveSuccesses: number;
  declare readonly consecutiveFailures: number;
  declare readonly failure?: EndpointHealth["failure"];
  declare readonly lastResult?: EndpointHealth["lastResult"];

  constructor(
    endpointId: string,
    state: EndpointHealth["state"],
    consecutiveSuccesses: number,
    consecutiveFailures: number,
    failure?: EndpointHealth["failure"],
    lastResult?: EndpointHealth["lastResult"],
  ) {
    this.endpointId = endpointId;
    this.state = state;
    this.consecutiveSuccesses = consecutiveSuccesses;
    this.consecutiveFailures = consecutiveFailures;
    // Only when set, as the literal had them: no own property holding undefined.
    if (failure) this.failure = failure;
    if (lastResult) this.lastResult = lastResult;
    Object.freeze(this);
  }
}

/** The next frozen health: `counts` over `health`, the failure kept, `last` as the last result. */
function withResult(
  health: EndpointHealth,
  counts: Pick<EndpointHealth, "state" | "consecutiveSuccesses" | "consecutiveFailures">,
  last: EndpointHealth["lastResult"],
): EndpointHealth {
  return new Health(
    health.endpointId,
    counts.state,
    counts.consecutiveSuccesses,
    counts.consecutiveFailures,
    health.failure,
    last,
  );
}
