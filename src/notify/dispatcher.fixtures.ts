import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { vi } from "vitest";
import { ManualClock } from "../core/clock.js";
import { DEFAULT_NOTIFY_ON, type NotificationChannelConfig } from "../core/config.js";
import type { EventType, Severity, TandemEvent } from "../core/types.js";
import { SqliteStore } from "../store/sqlite.js";
import { Dispatcher, type DispatcherOptions } from "./dispatcher.js";
import { outboxRouting } from "./routing.js";
import type { Notification, Notifier } from "./types.js";

/**
 * Virtual time that cockatiel's circuit breaker sees too: it reads Date.now(), so every read of this
 * clock sets the (faked) Date to the virtual time. Call `vi.useFakeTimers({ toFake: ["Date"] })` first.
 */
export class BreakerClock extends ManualClock {
  override now(): number {
    const now = super.now();
    vi.setSystemTime(now);
    return now;
  }
}

export type Behaviour = "ok" | "fail" | "hang";

/** A Notifier that does what it is told and remembers every attempt. */
export class FakeNotifier implements Notifier {
  readonly type = "webhook" as const;
  behaviour: Behaviour = "ok";
  readonly attempts: Array<{ id: string; at: number; events: string[] }> = [];
  readonly delivered: Notification[] = [];
  readonly aborted: unknown[] = [];

  constructor(
    readonly name: string,
    private readonly clock: ManualClock,
  ) {}

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    this.attempts.push({
      id: notification.id,
      at: this.clock.now(),
      events: notification.events.map((e) => e.type),
    });
    if (this.behaviour === "fail") throw new Error("HTTP 500 from receiver");
    if (this.behaviour === "hang") {
      // Honours the signal, as the Notifier contract asks.
      await new Promise<void>((_, reject) =>
        signal.addEventListener(
          "abort",
          () => {
            this.aborted.push(signal.reason);
            reject(signal.reason);
          },
          { once: true },
        ),
      );
    }
    this.delivered.push(notification);
  }
}

export function channel(overrides: Partial<NotificationChannelConfig> = {}): NotificationChannelConfig {
  return {
    type: "webhook",
    url: "http://127.0.0.1:1/hook",
    headers: {},
    name: "ops",
    on: [...DEFAULT_NOTIFY_ON],
    environments: [],
    services: [],
    minSeverity: "info",
    digest: 0,
    timeout: 10_000,
    maxAttempts: 8,
    ...overrides,
  } as NotificationChannelConfig;
}

export interface Rig {
  dir: string;
  file: string;
  clock: BreakerClock;
  store: SqliteStore;
  notifiers: Map<string, FakeNotifier>;
  channels: NotificationChannelConfig[];
  dispatcher(options?: Partial<DispatcherOptions>): Dispatcher;
  /** A store on the same file (another process, or this one after a restart). */
  reopen(): Promise<SqliteStore>;
  emit(
    type: EventType,
    options?: { releaseId?: string; service?: string; severity?: Severity },
  ): Promise<void>;
  cleanup(): Promise<void>;
}

export async function rig(channels: NotificationChannelConfig[]): Promise<Rig> {
  vi.useFakeTimers({ toFake: ["Date"] });
  const dir = mkdtempSync(join(tmpdir(), "tandem-dispatcher-"));
  const file = join(dir, "tandem.db");
  const clock = new BreakerClock();
  const routing = outboxRouting(channels);
  const stores: SqliteStore[] = [];
  const open = async () => {
    const opened = new SqliteStore(file, { outbox: routing });
    await opened.migrate();
    stores.push(opened);
    return opened;
  };
  const store = await open();
  const notifiers = new Map(channels.map((c) => [c.name, new FakeNotifier(c.name, clock)]));
  const dispatchers: Dispatcher[] = [];
  const result: Rig = {
    dir,
    file,
    clock,
    store,
    notifiers,
    channels,
    dispatcher(options = {}) {
      const dispatcher = new Dispatcher({
        store: result.store,
        channels,
        createNotifier: (config) => notifiers.get(config.name)!,
        clock,
        ...options,
      });
      dispatchers.push(dispatcher);
      return dispatcher;
    },
    async reopen() {
      result.store = await open();
      return result.store;
    },
    async emit(type, options = {}) {
      const event: TandemEvent = {
        at: clock.now(),
        releaseId: options.releaseId ?? "r1",
        project: "shop",
        environment: "staging",
        type,
        severity: options.severity ?? (type.endsWith("failed") ? "error" : "info"),
        message: type,
      };
      if (options.service) event.service = options.service;
      await result.store.appendEvents([event]);
    },
    async cleanup() {
      for (const dispatcher of dispatchers) await dispatcher.stop();
      for (const opened of stores) await opened.close();
      rmSync(dir, { recursive: true, force: true });
      vi.useRealTimers();
    },
  };
  return result;
}
