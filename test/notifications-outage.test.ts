import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { TandemEvent } from "../src/core/types.js";
import { createNotifier, type TandemCloudEvent, verifyWebhook } from "../src/notify/index.js";
import type { NotifierFactory } from "../src/notify/types.js";
import { Orchestrator } from "../src/orchestrator.js";
import { resetSimInstances } from "../src/targets/sim.js";
import { MemoryRouter } from "../src/testing/memory-router.js";
import { freePort } from "./helpers/ports.js";
import { waitFor } from "./helpers/wait.js";

/** The real webhook channel: CloudEvents JSON, signed, with `Idempotency-Key`. */
const createNotifierUnderTest: NotifierFactory = (config) => createNotifier(config);
const SECRET = "outage-test-signing-key";

type Mode = "500" | "hang" | "ok";

/**
 * A receiver that honours Idempotency-Key: the first request with a key takes effect (even if its
 * answer is then lost, as when it hangs); a repeat is acknowledged and ignored.
 */
class Receiver {
  mode: Mode = "500";
  readonly wire: Array<{ key: string; mode: Mode }> = [];
  readonly effects = new Map<string, TandemCloudEvent>();
  readonly badSignatures: string[] = [];
  readonly duplicates: string[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private server?: Server;

  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  seen(mode: Mode): number {
    return this.wire.filter((w) => w.mode === mode).length;
  }

  async listen(): Promise<void> {
    this.server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const key = String(request.headers["idempotency-key"]);
    const mode = this.mode;
    this.wire.push({ key, mode });
    if (mode === "500") {
      response.writeHead(500).end("down for maintenance");
      return;
    }
    let event: TandemCloudEvent;
    try {
      // Replays are this receiver's own business (the idempotency key), so no `seen` set here.
      event = verifyWebhook({ body: Buffer.concat(chunks), headers: request.headers, secret: SECRET });
    } catch (error) {
      this.badSignatures.push(String(error));
      response.writeHead(401).end();
      return;
    }
    expect(event.id).toBe(key);
    if (this.effects.has(key)) this.duplicates.push(key);
    else this.effects.set(key, event);
    if (mode === "hang") {
      this.hanging.add(response);
      return;
    }
    response.writeHead(200).end("ok");
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

const PAUSE = "6s";

function writeProject(dir: string, hookUrl?: string): string {
  const notifications = hookUrl
    ? `notifications:
  - type: webhook
    name: hook
    url: ${hookUrl}
    secret: ${SECRET}
    on: ["*"]
    timeout: 1s
    maxAttempts: 100
`
    : "";
  const file = join(dir, "tandem.yaml");
  writeFileSync(
    file,
    `project: shop
store: { type: sqlite, path: ${join(dir, "tandem.db")} }
environments: { staging: {} }
services:
  api:
    target: { type: sim, replicas: 2, startupTime: 100ms }
    router: { type: builtin, listen: 18590 }
    strategy: { canary: { steps: [{ setWeight: 50 }, { pause: ${PAUSE} }, { setWeight: 100 }] } }
${notifications}`,
  );
  return file;
}

async function openProject(file: string): Promise<Orchestrator> {
  const router = new MemoryRouter();
  return Orchestrator.open(file, {
    env: { TANDEM_USER: "alice" },
    passIntervalMs: 50,
    plugins: { createRouter: () => router },
    createNotifier: createNotifierUnderTest,
    notifications: {
      breaker: { threshold: 5, halfOpenAfterMs: 1_000 },
      backoff: { baseMs: 200, maxMs: 2_000 },
      pollIntervalMs: 100,
    },
  });
}

/** Creates a release of api and drives it to its end; returns the release and how long that took. */
async function release(o: Orchestrator, version: string, signal?: AbortSignal) {
  const started = Date.now();
  const created = await o.createRelease({ services: [`api@${version}`] });
  const final = await o.run(created.id, signal);
  return { final, ms: Date.now() - started };
}

describe("notifications while the channel is down, erroring, then hanging", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    resetSimInstances();
  });

  it("never delays the release; the breaker opens; once back, every event arrives, none twice", async () => {
    // The same release with no notifications: the time to beat.
    const quietDir = mkdtempSync(join(tmpdir(), "tandem-outage-quiet-"));
    cleanups.push(() => rmSync(quietDir, { recursive: true, force: true }));
    const quiet = await openProject(writeProject(quietDir));
    cleanups.push(() => quiet.close());
    // The first release has no stable version to canary against; the second one runs every step.
    await release(quiet, "1.0.0");
    const baseline = await release(quiet, "2.0.0");
    expect(baseline.final.status).toBe("succeeded");
    expect(baseline.ms).toBeGreaterThanOrEqual(6_000);
    resetSimInstances();

    const receiver = new Receiver(await freePort());
    cleanups.push(() => receiver.close());
    const dir = mkdtempSync(join(tmpdir(), "tandem-outage-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = writeProject(dir, receiver.url);
    const tandem = await openProject(file);
    cleanups.push(() => tandem.close());

    // (a) The port is closed: connections are refused.
    const stop = new AbortController();
    expect((await release(tandem, "1.0.0", stop.signal)).final.status).toBe("succeeded");
    const running = release(tandem, "2.0.0", stop.signal);
    cleanups.push(async () => {
      stop.abort();
      await running.catch(() => undefined);
    });
    const dispatcher = await waitFor("the dispatcher to start", () => tandem.notifications.get());
    await waitFor(
      "the breaker to open on refused connections",
      () => dispatcher.breakerOpenings("hook") >= 1,
    );
    const refusedOpened = dispatcher.breakerOpenings("hook");
    // While it is open, deliveries wait without being attempted: one put off with no attempt counted.
    await waitFor(
      "a delivery held back by the open breaker",
      async () =>
        (await tandem.store.listOutbox({ statuses: ["pending"] })).some(
          (row) => row.attempts === 0 && row.nextAttemptAt > row.createdAt,
        ),
      { timeoutMs: 10_000 },
    );
    // (b) The receiver answers 500 (the half-open trial fails, the breaker opens again).
    receiver.mode = "500";
    await receiver.listen();
    await waitFor("a request answered 500", () => receiver.seen("500") >= 1, { timeoutMs: 10_000 });
    // (c) The receiver takes requests and never answers: the 1s timeout ends each attempt.
    receiver.mode = "hang";
    await waitFor("a request left hanging", () => receiver.seen("hang") >= 1, { timeoutMs: 10_000 });
    await waitFor("the breaker to open again", () => dispatcher.breakerOpenings("hook") > refusedOpened);

    const { final, ms } = await running;
    expect(final.status).toBe("succeeded");
    // The release took no longer than without notifications (within scheduling noise).
    expect(ms).toBeLessThan(baseline.ms + 1_500);
    const pending = await tandem.store.listOutbox({ statuses: ["pending"] });
    expect(pending.length).toBeGreaterThan(0);
    // The receiver came up only after the breaker had opened, so every request it saw during the
    // outage was a half-open trial: at most one per second (halfOpenAfter), though many were pending.
    expect(receiver.wire.length).toBeLessThanOrEqual(Math.ceil(ms / 1_000) + 1);
    expect(pending.length).toBeGreaterThan(receiver.wire.length);

    // The grace after the release is bounded even with the channel hanging.
    const drainStarted = Date.now();
    await tandem.notifications.drain(2_000);
    expect(Date.now() - drainStarted).toBeLessThan(4_000);
    await tandem.close();

    // The receiver is back; the next tandem process delivers what is left.
    receiver.mode = "ok";
    const next = await openProject(file);
    cleanups.push(() => next.close());
    next.notifications.start();
    await waitFor(
      "every delivery to be delivered",
      async () => (await next.store.listOutbox({ statuses: ["pending", "dead"] })).length === 0,
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    await next.notifications.stop();

    const events = await next.store.listEvents({ project: "shop" });
    const rows = await next.store.listOutbox({});
    // Nothing lost: one delivery per event of both releases (the channel takes "*"), each took effect.
    expect(rows.length).toBe(events.length);
    const delivered = [...receiver.effects.values()].flatMap((n) => n.data.events as TandemEvent[]);
    expect(receiver.badSignatures).toEqual([]);
    expect(delivered.map((e) => e.seq).sort((a, b) => a! - b!)).toEqual(events.map((e) => e.seq));
    // Nothing twice: each idempotency key took effect once; repeats on the wire were ignored.
    expect(receiver.effects.size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(receiver.effects.keys()));
    const keysOnWire = new Set(receiver.wire.map((w) => w.key));
    expect(keysOnWire).toEqual(new Set(rows.map((r) => r.id)));
    // The request left hanging was sent again, and the receiver did not act on it twice.
    expect(receiver.duplicates.length).toBeGreaterThanOrEqual(1);
    expect(receiver.wire.length).toBeGreaterThan(receiver.effects.size);
  }, 120_000);
});
