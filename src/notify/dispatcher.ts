import { randomUUID } from "node:crypto";
import { redactSecrets } from "../config/redact.js";
import { type Clock, systemClock } from "../core/clock.js";
import type { NotificationChannelConfig } from "../core/config.js";
import { type Logger, silentLogger } from "../core/types.js";
import type { OutboxDelivery, Store } from "../store/types.js";
import { type BackoffOptions, DEFAULT_BACKOFF, retryDelay } from "./backoff.js";
import { type BreakerOptions, type BreakerState, ChannelSender, DEFAULT_BREAKER } from "./channel.js";
import { buildNotification } from "./summary.js";
import type { NotifierFactory } from "./types.js";

export interface DispatcherOptions {
  store: Store;
  channels: readonly NotificationChannelConfig[];
  createNotifier: NotifierFactory;
  /** Default the system clock. */
  clock?: Clock;
  log?: Logger;
  /** Who claims rows in the store. Default a new UUID. */
  holder?: string;
  /** For the jitter. Default Math.random. */
  random?: () => number;
  /** Per channel. Default 5 consecutive failures, half-open after 30s. */
  breaker?: Partial<BreakerOptions>;
  /** Default 1s·2^n capped at 5 minutes, with jitter. */
  backoff?: Partial<BackoffOptions>;
  /** How often the loop looks for due deliveries when nothing wakes it. Default 1s. */
  pollIntervalMs?: number;
  /** Rows claimed per pass. Default 100. */
  batchSize?: number;
}

export interface PassReport {
  delivered: number;
  failed: number;
  dead: number;
  /** Not attempted: the channel's circuit was open (or the dispatcher stopped). */
  postponed: number;
}

/**
 * Delivers the outbox: claims due rows, sends each (or each digest batch) with its channel's Notifier
 * behind the channel's circuit breaker and timeout, and records the outcome in the store (delivered,
 * retry at a backoff time, or dead after maxAttempts). It runs beside the engine, never inside a pass,
 * and never throws: a channel that is down or slow cannot delay or fail a release.
 */
export class Dispatcher {
  readonly holder: string;
  private readonly senders = new Map<string, ChannelSender>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly backoff: BackoffOptions;
  private readonly leaseMs: number;
  private controller = new AbortController();
  private loop?: Promise<void>;
  private stopping = false;
  private wakeUp?: () => void;
  /** A wake-up that came while a pass ran: the loop does not sleep before the next pass. */
  private woken = false;

  constructor(private readonly options: DispatcherOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger;
    this.holder = options.holder ?? randomUUID();
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    const breaker = { ...DEFAULT_BREAKER, ...options.breaker };
    for (const channel of options.channels) {
      const notifier = options.createNotifier(channel);
      this.senders.set(
        channel.name,
        new ChannelSender(channel, notifier, this.clock, breaker, (state) =>
          this.log.info(`notifications: channel ${channel.name} circuit ${state}`, { channel: channel.name }),
        ),
      );
    }
    this.leaseMs = Math.max(0, ...options.channels.map((c) => c.timeout)) + 30_000;
  }

  get channels(): string[] {
    return [...this.senders.keys()];
  }

  /** The circuit of each channel. */
  breakerState(channel: string): BreakerState | undefined {
    return this.senders.get(channel)?.state;
  }

  /** How many times a channel's circuit has opened since this dispatcher started. */
  breakerOpenings(channel: string): number {
    return this.senders.get(channel)?.opened ?? 0;
  }

  /** One pass: claims what is due now and attempts it, channels in parallel, one at a time per channel. */
  async deliverDue(signal: AbortSignal = this.controller.signal): Promise<PassReport> {
    const report: PassReport = { delivered: 0, failed: 0, dead: 0, postponed: 0 };
    if (this.senders.size === 0 || signal.aborted) return report;
    const rows = await this.options.store.claimOutbox({
      now: this.clock.now(),
      holder: this.holder,
      leaseMs: this.leaseMs,
      channels: this.channels,
      limit: this.options.batchSize,
    });
    const byChannel = new Map<string, OutboxDelivery[][]>();
    for (const unit of units(rows)) {
      const list = byChannel.get(unit[0]!.channel) ?? [];
      list.push(unit);
      byChannel.set(unit[0]!.channel, list);
    }
    await Promise.all(
      [...byChannel].map(async ([channel, list]) => {
        for (const unit of list) await this.deliverUnit(this.senders.get(channel)!, unit, signal, report);
      }),
    );
    return report;
  }

  /** Runs passes in the background until `stop`/`drain`: when woken, when something falls due, or every poll. */
  start(): void {
    if (this.loop || this.senders.size === 0) return;
    this.stopping = false;
    this.loop = this.run().finally(() => {
      this.loop = undefined;
    });
  }

  /** Something was written to the outbox (an engine event): look now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /**
   * Delivers what is due, for at most `graceMs`, then stops: a delivery still in flight then is
   * cancelled and stays pending (not counted as an attempt). What is not due yet stays for the next
   * process. Returns how many deliveries of its channels are still pending.
   */
  async drain(graceMs: number): Promise<number> {
    this.stopping = true;
    this.wake();
    const timer = new AbortController();
    const graceOver = this.clock.sleep(graceMs, timer.signal).then(
      () => this.controller.abort(new Error("notification grace elapsed")),
      () => undefined,
    );
    try {
      await this.loop;
      const signal = this.controller.signal;
      while (!signal.aborted) {
        const next = await this.options.store.nextOutboxAttempt(this.channels);
        if (next === undefined || next > this.clock.now()) break;
        const report = await this.deliverDue(signal);
        if (report.delivered + report.failed + report.dead + report.postponed === 0) break;
      }
    } catch (error) {
      this.log.warn(`notifications: ${redactSecrets(String(error))}`);
    } finally {
      timer.abort();
      await graceOver;
    }
    await this.stop();
    const pending = await this.options.store.listOutbox({ statuses: ["pending"] }).catch(() => []);
    return pending.filter((row) => this.senders.has(row.channel)).length;
  }

  /** Stops at once; a delivery in flight is cancelled and stays pending. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.controller.abort(new Error("notification dispatcher stopped"));
    this.wake();
    await this.loop;
    this.controller = new AbortController();
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    while (!this.stopping && !signal.aborted) {
      try {
        await this.deliverDue(signal);
      } catch (error) {
        this.log.warn(`notifications: pass failed: ${redactSecrets(String(error))}`);
      }
      if (this.stopping || signal.aborted) return;
      await this.idle(signal);
    }
  }

  /** Sleeps until the next due delivery, a wake-up, or the poll interval, whichever comes first. */
  private async idle(signal: AbortSignal): Promise<void> {
    const poll = this.options.pollIntervalMs ?? 1_000;
    const next = await this.options.store.nextOutboxAttempt(this.channels).catch(() => undefined);
    const now = this.clock.now();
    const wait = next === undefined ? poll : Math.min(poll, Math.max(next - now, 10));
    if (this.woken) {
      this.woken = false;
      return;
    }
    const sleeping = new AbortController();
    const onAbort = () => sleeping.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    await new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      this.clock.sleep(wait, sleeping.signal).then(resolve, resolve);
    });
    this.wakeUp = undefined;
    this.woken = false;
    sleeping.abort();
    signal.removeEventListener("abort", onAbort);
  }

  private async deliverUnit(
    sender: ChannelSender,
    unit: OutboxDelivery[],
    signal: AbortSignal,
    report: PassReport,
  ): Promise<void> {
    const { store } = this.options;
    const ids = unit.map((row) => row.id);
    const channel = sender.config;
    try {
      const notification = await buildNotification(store, channel, unit);
      const outcome = await sender.attempt(notification, signal);
      switch (outcome.kind) {
        case "delivered":
          await store.markOutboxDelivered(ids, this.clock.now());
          report.delivered += 1;
          return;
        case "open":
          await store.postponeOutbox(ids, Math.max(outcome.until, this.clock.now()));
          report.postponed += 1;
          return;
        case "cancelled":
          await store.postponeOutbox(ids, this.clock.now());
          report.postponed += 1;
          return;
        case "failed": {
          const attempts = Math.max(...unit.map((row) => row.attempts)) + 1;
          if (attempts >= channel.maxAttempts) {
            await store.markOutboxDead(ids, outcome.error);
            report.dead += 1;
            this.log.warn(
              `notifications: gave up on ${notification.id} to ${channel.name} after ${attempts} attempts: ${outcome.error}`,
              { channel: channel.name },
            );
            return;
          }
          const next = this.clock.now() + retryDelay(attempts, this.options.random, this.backoff);
          await store.retryOutboxLater(ids, next, outcome.error);
          report.failed += 1;
          this.log.debug(`notifications: ${channel.name} failed (attempt ${attempts}): ${outcome.error}`);
          return;
        }
      }
    } catch (error) {
      // The store failed: the claim lapses and the rows are tried again (at least once).
      this.log.warn(`notifications: ${channel.name}: ${redactSecrets(String(error))}`);
    }
  }
}

/** Claimed rows as units to send: a digest batch together, every other row on its own. */
function units(rows: OutboxDelivery[]): OutboxDelivery[][] {
  const byKey = new Map<string, OutboxDelivery[]>();
  for (const row of rows) {
    const key = row.batch ?? row.id;
    const unit = byKey.get(key) ?? [];
    unit.push(row);
    byKey.set(key, unit);
  }
  return [...byKey.values()];
}
