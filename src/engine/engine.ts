import { isDeepStrictEqual } from "node:util";
import { engineEntries } from "../audit/entries.js";
import { AbortFanout } from "../core/abort.js";
import type { Clock } from "../core/clock.js";
import { systemClock } from "../core/clock.js";
import type { ServiceConfig, TandemConfig } from "../core/config.js";
import { CasConflictError, NotFoundError } from "../core/errors.js";
import {
  isTerminal,
  type Logger,
  type ReleaseState,
  type RolloutState,
  silentLogger,
  type TandemEvent,
  withFields,
} from "../core/types.js";
import type { HookRunner, HookRunnerFactory } from "../hooks/types.js";
import type { RouterFactory } from "../routers/types.js";
import type { InstanceChanges, LeaseClaim, Store } from "../store/types.js";
import type { Target, TargetFactory } from "../targets/types.js";
import { Attention } from "./attention.js";
import { FastEject } from "./fast-eject.js";
import { InstanceJournal } from "./instance-journal.js";
import { leaseNameOf, newHolderId, takeLease } from "./lease.js";
import { type PassTarget, passTarget } from "./pass-target.js";
import { pluginContext } from "./plugin-context.js";
import { type RolloutAttention, reconcileRelease } from "./release-pass.js";
import type { HealthMonitor, ServiceRuntime } from "./runtime.js";

export interface Plugins {
  createTarget: TargetFactory;
  createRouter: RouterFactory;
  /** `target`: the service's target, whose own `check` (when it has one) the monitor runs too. */
  createMonitor(service: ServiceConfig, clock: Clock, target?: Target): HealthMonitor;
  createHookRunner: HookRunnerFactory;
}

export interface EngineOptions {
  store: Store;
  config: TandemConfig;
  plugins: Plugins;
  /** The service configuration a release runs with (its stored snapshot, interpolated). */
  serviceConfig(release: ReleaseState, service: string): ServiceConfig;
  clock?: Clock;
  log?: Logger;
  /** Where `${env:X}` / `${secret:X}` placeholders in stored hook specs are read. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Time between passes of `run`. Default 200ms. */
  passIntervalMs?: number;
  /** How long this engine's claim on a release lasts without renewal. Default 15s. */
  leaseTtlMs?: number;
}

export type EventListener = (event: TandemEvent) => void;

/** One reconcile pass, measured in real (not injected) time: `/metrics` turns these into a histogram. */
export interface PassRecord {
  releaseId: string;
  /** Empty when the release was not found. */
  environment: string;
  /** ok: written (or already finished); conflict: another writer won the compare-and-swap; error: it threw. */
  outcome: "ok" | "conflict" | "error";
  seconds: number;
}

export type PassListener = (pass: PassRecord) => void;

/**
 * The level-triggered reconciler: each pass loads a release from the store, acts, and writes the new
 * state once with a compare-and-swap; events are published only after that write.
 */
export class Engine {
  readonly holder = newHolderId();
  private readonly clock: Clock;
  private readonly log: Logger;
  /** By release, then service: a release that ends disposes of its own without a scan of all. */
  private readonly runtimes = new Map<string, Map<string, ServiceRuntime>>();
  private readonly passTargets = new WeakMap<ServiceRuntime, PassTarget>();
  private readonly fastEject = new FastEject();
  private readonly listeners = new Set<EventListener>();
  private readonly passListeners = new Set<PassListener>();
  /**
   * The release each pass wrote, by id, at the revision it wrote (frozen: a pass copies what it
   * changes). The next pass reads the release from the store only when the stored revision moved
   * (another engine wrote it): unchanged rollouts keep their objects across passes, and a pass does
   * not parse and copy thousands of rollouts to change a few.
   */
  private readonly written = new Map<string, ReleaseState>();
  /** By release: the instance records its pass holds for its own write (instance-journal.ts). */
  private readonly journals = new Map<string, InstanceJournal>();
  /** By release: which waiting rollouts a pass may leave alone (attention.ts). */
  private readonly attention = new Map<string, Attention>();
  private hookRunner?: HookRunner;

  constructor(private readonly options: EngineOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger;
  }

  private get leaseTtlMs(): number {
    return this.options.leaseTtlMs ?? 15_000;
  }

  /**
   * This engine's lease on a release about to be created, to take in the creation's transaction
   * (`Store.createRelease`): the release then never exists without the engine that will drive it.
   */
  leaseFor(releaseId: string): LeaseClaim {
    return {
      name: leaseNameOf(releaseId),
      holder: this.holder,
      ttlMs: this.leaseTtlMs,
      now: this.clock.now(),
    };
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called after every reconcile pass (for metrics); returns the unsubscribe function. */
  observePasses(listener: PassListener): () => void {
    this.passListeners.add(listener);
    return () => this.passListeners.delete(listener);
  }

  /** One reconcile pass; returns the release as stored afterwards. */
  async reconcileOnce(
    releaseId: string,
    signal: AbortSignal = new AbortController().signal,
  ): Promise<ReleaseState> {
    const started = performance.now();
    const pass: Omit<PassRecord, "seconds"> = { releaseId, environment: "", outcome: "error" };
    try {
      return await this.pass(releaseId, signal, pass);
    } finally {
      const record = { ...pass, seconds: (performance.now() - started) / 1000 };
      for (const listener of this.passListeners) {
        try {
          listener(record);
        } catch (error) {
          this.log.warn("pass listener failed", { error: String(error) });
        }
      }
    }
  }

  private async pass(
    releaseId: string,
    signal: AbortSignal,
    record: Omit<PassRecord, "seconds">,
  ): Promise<ReleaseState> {
    const { store } = this.options;
    const release = await this.load(releaseId);
    if (!release) throw new NotFoundError(`release ${releaseId}`, "`tandem history` lists releases");
    record.environment = release.environment;
    const log = withFields(this.log, { releaseId, environment: release.environment });
    if (isTerminal(release.status)) {
      record.outcome = "ok";
      this.dispose(release.id);
      return release;
    }
    const leaseName = leaseNameOf(releaseId);
    await takeLease(store, leaseName, this.holder, this.leaseTtlMs, this.clock.now());
    const commands = await store.pendingCommands(releaseId);
    const statusBefore = release.status;
    const journal = this.journalOf(releaseId);
    journal.begin();
    let result: Awaited<ReturnType<typeof reconcileRelease>>;
    try {
      result = await reconcileRelease(release, {
        now: this.clock.now(),
        signal,
        commands,
        runtime: (service) => this.runtime(release, service),
        attention: this.attentionFor(releaseId),
        hooks: this.hooks(),
        env: this.options.env ?? process.env,
        onRolloutError: (rollout, error) =>
          log.debug(`${rollout.service}: pass failed, will retry`, {
            service: rollout.service,
            error: String(error),
          }),
      });
    } catch (error) {
      await this.writeHeld(journal.take());
      throw error;
    }
    const instances = journal.take();
    try {
      await store.writeRelease({
        release: result.release,
        expectedRevision: release.revision,
        changedRollouts: changedRollouts(release.rollouts, result.release.rollouts),
        events: result.events,
        consumedCommands: result.consumedCommands,
        registry: result.registry,
        audit: engineEntries(statusBefore, result.release, result.registry, this.clock.now()),
        instances,
      });
    } catch (error) {
      this.written.delete(releaseId);
      // The instances the pass started or stopped did start or stop, whatever became of its write.
      await this.writeHeld(instances);
      if (!(error instanceof CasConflictError)) throw error;
      record.outcome = "conflict";
      log.warn(`release ${releaseId}: concurrent write, pass discarded`, { error: error.message });
      return (await store.getRelease(releaseId)) ?? release;
    }
    record.outcome = "ok";
    if (!isTerminal(result.release.status)) this.written.set(releaseId, frozen(result.release));
    for (const event of result.events) this.publish(event);
    if (isTerminal(result.release.status)) {
      this.dispose(releaseId);
      await store.releaseLease(leaseName, this.holder);
    }
    return result.release;
  }

  private journalOf(releaseId: string): InstanceJournal {
    let journal = this.journals.get(releaseId);
    if (!journal) {
      journal = new InstanceJournal();
      this.journals.set(releaseId, journal);
    }
    return journal;
  }

  /** Instance records a pass held, written on their own when its write did not take them. */
  private async writeHeld(instances: InstanceChanges | undefined): Promise<void> {
    if (!instances) return;
    try {
      await this.options.store.writeInstances(instances);
    } catch (error) {
      // The instances live in this process only (instance-journal.ts): this engine still knows them.
      this.log.warn("could not record instances", { error: String(error) });
    }
  }

  private attentionFor(releaseId: string): RolloutAttention {
    let attention = this.attention.get(releaseId);
    if (!attention) {
      attention = new Attention();
      this.attention.set(releaseId, attention);
    }
    const of = attention;
    return {
      quiet: (rollout, runtime, now, signal) =>
        of.quiet(rollout, runtime, now, signal, () => this.passTargets.get(runtime)?.hasExited() ?? true),
      observe: (runtime) => of.observe(runtime),
      record: (rollout, runtime, now, signal, before) => of.record(rollout, runtime, now, signal, before),
      forget: (service) => of.forget(service),
    };
  }

  /** The release as this engine last wrote it, when the store still holds that revision; else as stored. */
  private async load(releaseId: string): Promise<ReleaseState | undefined> {
    const kept = this.written.get(releaseId);
    if (kept) {
      if ((await this.options.store.releaseRevision(releaseId)) === kept.revision) return kept;
      this.written.delete(releaseId);
    }
    return this.options.store.getRelease(releaseId);
  }

  /** Drives a release until it ends (or the signal aborts), one pass every passIntervalMs. */
  async run(releaseId: string, signal: AbortSignal = new AbortController().signal): Promise<ReleaseState> {
    for (;;) {
      const release = await this.reconcileOnce(releaseId, signal);
      if (isTerminal(release.status) || signal.aborted) return release;
      await this.fastEject.pause(releaseId, this.clock, this.options.passIntervalMs ?? 200, signal);
    }
  }

  /** Drives every active release of the project until all have ended. */
  async runActive(signal: AbortSignal = new AbortController().signal): Promise<ReleaseState[]> {
    const active = await this.options.store.listReleases({
      project: this.options.config.project,
      active: true,
    });
    // One child signal per release: their sleeps between passes do not pile up on `signal`.
    const fanout = new AbortFanout(signal);
    try {
      return await Promise.all(
        active.map(async (r) => {
          const child = fanout.child();
          try {
            return await this.run(r.id, child.signal);
          } finally {
            child.done();
          }
        }),
      );
    } finally {
      fanout.dispose();
    }
  }

  close(): void {
    for (const releaseId of [...this.runtimes.keys()]) this.dispose(releaseId);
    this.listeners.clear();
    this.passListeners.clear();
  }

  private publish(event: TandemEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log.warn("event listener failed", { error: String(error) });
      }
    }
  }

  private hooks(): HookRunner {
    this.hookRunner ??= this.options.plugins.createHookRunner({
      stateDir: this.options.config.stateDir,
      baseDir: this.options.config.baseDir,
    });
    return this.hookRunner;
  }

  /** The service's runtime, fetched once as each rollout's pass begins: its target lists anew then. */
  private runtime(release: ReleaseState, service: string): ServiceRuntime {
    let ofRelease = this.runtimes.get(release.id);
    const existing = ofRelease?.get(service);
    if (existing) {
      this.passTargets.get(existing)?.newPass();
      return existing;
    }
    const config = this.options.serviceConfig(release, service);
    const { store, config: project } = this.options;
    const context = pluginContext(
      project,
      { environment: release.environment, service, releaseId: release.id },
      { store, clock: this.clock, log: this.log },
    );
    // A target whose instances live in this process may record them with the pass's write.
    const passStore = this.journalOf(release.id).storeFor(store);
    // Not `{ ...context, passStore }`: a spread followed by another property gives every such object a
    // hidden class (V8 map and descriptors) of its own, ~0.5 kB kept per release's service.
    const target = this.options.plugins.createTarget(
      config.target,
      Object.assign({}, context, { passStore }),
    );
    const memo = passTarget(target);
    const runtime: ServiceRuntime = {
      service: config,
      target: memo.target,
      router: this.options.plugins.createRouter(config.router, context),
      monitor: this.options.plugins.createMonitor(config, this.clock, target),
    };
    if (!ofRelease) {
      ofRelease = new Map();
      this.runtimes.set(release.id, ofRelease);
    }
    ofRelease.set(service, runtime);
    this.passTargets.set(runtime, memo);
    this.fastEject.wire(release.id, runtime, this.log);
    return runtime;
  }

  private dispose(releaseId: string): void {
    for (const runtime of this.runtimes.get(releaseId)?.values() ?? []) runtime.monitor.stop();
    this.runtimes.delete(releaseId);
    this.written.delete(releaseId);
    this.attention.delete(releaseId);
    this.journals.delete(releaseId);
    this.fastEject.forget(releaseId);
  }
}

/**
 * Shallowly frozen (the release, its rollout list, each rollout): kept across passes, never changed.
 * The release is a copy built property by property: a pass builds it with spreads, and in V8 (Node 20)
 * freezing a spread's result gives it a hidden class of its own (~0.5 kB kept per release, and another
 * each pass); the copy shares one with every other release.
 */
function frozen(release: ReleaseState): ReleaseState {
  for (const rollout of release.rollouts) Object.freeze(rollout);
  Object.freeze(release.rollouts);
  return Object.freeze(Object.assign({}, release));
}

/**
 * The services whose rollouts a pass changed, so the store writes only those; undefined (write them
 * all) when the pass changed which rollouts there are or their order.
 */
export function changedRollouts(
  before: readonly RolloutState[],
  after: readonly RolloutState[],
): string[] | undefined {
  if (before.length !== after.length) return undefined;
  const changed: string[] = [];
  for (let i = 0; i < after.length; i++) {
    const [was, is] = [before[i]!, after[i]!];
    if (was.service !== is.service) return undefined;
    if (was !== is && !isDeepStrictEqual(was, is)) changed.push(is.service);
  }
  return changed;
}
