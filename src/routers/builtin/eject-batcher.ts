/**
 * Ejects for every service of one router daemon, sent as one admin call (`POST /eject`) per batch. A
 * batch collects what arrives in the same turn of the event loop and, while a call is in flight,
 * everything that arrives meanwhile: when 1,000 canaries fail in one probe round, the daemon gets a
 * few calls instead of 1,000 that wait for one another on the admin connections.
 */
export type SendEjects = (services: Record<string, string[]>) => Promise<void>;

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class EjectBatcher {
  private pending = new Map<string, Set<string>>();
  private waiters: Waiter[] = [];
  private scheduled = false;
  private inFlight = false;

  constructor(private readonly send: SendEjects) {}

  /** Resolves once the daemon has answered the batch that carried these ids. */
  add(service: string, ids: readonly string[]): Promise<void> {
    let set = this.pending.get(service);
    if (!set) {
      set = new Set();
      this.pending.set(service, set);
    }
    for (const id of ids) set.add(id);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule();
    return done;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const services = Object.fromEntries([...this.pending].map(([service, ids]) => [service, [...ids]]));
    const waiters = this.waiters;
    this.pending = new Map();
    this.waiters = [];
    this.inFlight = true;
    try {
      await this.send(services);
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
    } finally {
      this.inFlight = false;
      if (this.waiters.length > 0) this.schedule();
    }
  }
}
