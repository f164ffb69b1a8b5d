import { redactSecrets } from "../config/redact.js";
import type { Clock } from "../core/clock.js";
import type { NotificationChannelConfig } from "../core/config.js";
import type { Logger } from "../core/types.js";
import type { Store } from "../store/types.js";
import { Dispatcher, type DispatcherOptions } from "./dispatcher.js";
import type { NotifierFactory } from "./types.js";

/** How long `tandem deploy` & co. wait, after the release ended, for what is due to be delivered. */
export const DEFAULT_NOTIFY_GRACE_MS = 5_000;

export type DispatcherTuning = Partial<
  Pick<DispatcherOptions, "breaker" | "backoff" | "pollIntervalMs" | "random" | "batchSize">
>;

/**
 * The notification side of an Orchestrator: a Dispatcher made on first use (none without channels),
 * started while the engine drives releases, drained with a grace when they have ended. A channel
 * whose notifier cannot be made is logged, not thrown: its deliveries stay in the outbox.
 */
export class Notifications {
  private dispatcher?: Dispatcher;
  private failed = false;

  constructor(
    private readonly options: {
      store: Store;
      channels: readonly NotificationChannelConfig[];
      createNotifier: NotifierFactory;
      clock: Clock;
      log: Logger;
      tuning?: DispatcherTuning;
    },
  ) {}

  /** The dispatcher, made now if need be; undefined without channels or when it cannot be made. */
  get(): Dispatcher | undefined {
    if (this.dispatcher || this.failed || this.options.channels.length === 0) return this.dispatcher;
    try {
      this.dispatcher = new Dispatcher({ ...this.options, ...this.options.tuning });
    } catch (error) {
      this.failed = true;
      this.options.log.warn(
        `notifications are not delivered by this process (they stay in the outbox): ${redactSecrets(
          error instanceof Error ? error.message : String(error),
        )}`,
      );
    }
    return this.dispatcher;
  }

  start(): void {
    this.get()?.start();
  }

  wake(): void {
    this.dispatcher?.wake();
  }

  /** Delivers what is due for at most `graceMs`, then stops. Returns how many deliveries are still pending. */
  async drain(graceMs = DEFAULT_NOTIFY_GRACE_MS): Promise<number> {
    const dispatcher = this.get();
    if (dispatcher) return dispatcher.drain(graceMs);
    const names = new Set(this.options.channels.map((channel) => channel.name));
    if (names.size === 0) return 0;
    const pending = await this.options.store.listOutbox({ statuses: ["pending"] });
    return pending.filter((row) => names.has(row.channel)).length;
  }

  async stop(): Promise<void> {
    await this.dispatcher?.stop();
  }
}
