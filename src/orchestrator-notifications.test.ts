import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Logger } from "./core/types.js";
import type { Notification, NotifierFactory } from "./notify/types.js";
import { Orchestrator } from "./orchestrator.js";

let dir: string;
let file: string;
const opened: Orchestrator[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tandem-orchestrator-notify-"));
  file = join(dir, "tandem.yaml");
  writeFileSync(
    file,
    `project: shop
services:
  api: { target: { type: sim } }
notifications:
  - { type: webhook, name: all, url: "http://127.0.0.1:1/hook", on: ["*"] }
  - { type: webhook, name: failures, url: "http://127.0.0.1:1/hook", minSeverity: error }
`,
  );
});

afterEach(async () => {
  for (const orchestrator of opened.splice(0)) await orchestrator.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(createNotifier: NotifierFactory, log?: Logger): Orchestrator {
  const orchestrator = new Orchestrator(file, { env: { TANDEM_USER: "ci" }, createNotifier, log });
  opened.push(orchestrator);
  return orchestrator;
}

describe("Orchestrator notifications", () => {
  it("fills the outbox from the configured routing and delivers it beside the engine", async () => {
    const sent: Notification[] = [];
    const tandem = open((config) => ({
      name: config.name,
      type: config.type,
      send: async (notification) => {
        sent.push(notification);
      },
    }));
    const created = await tandem.createRelease({ services: ["api@1.0.0"] });
    const final = await tandem.run(created.id);
    expect(final.status).toBe("succeeded");
    expect(await tandem.notifications.drain(5_000)).toBe(0);
    const events = await tandem.events(created.id);
    const toAll = sent.filter((n) => n.channel === "all");
    expect(toAll.flatMap((n) => n.events.map((e) => e.seq))).toEqual(events.map((e) => e.seq));
    // `failures` routes nothing of a successful release (no event at error severity).
    expect(sent.filter((n) => n.channel === "failures")).toEqual([]);
    const rows = await tandem.store.listOutbox({});
    expect(rows.every((r) => r.status === "delivered")).toBe(true);
    expect(new Set(sent.map((n) => n.id))).toEqual(new Set(rows.map((r) => r.id)));
    expect(toAll.at(-1)!.release).toMatchObject({ id: created.id, status: "succeeded" });
  });

  it("runs the release when no notifier can be made; the deliveries wait in the outbox", async () => {
    const warnings: string[] = [];
    const log: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} };
    const tandem = open(() => {
      throw new Error("no such channel type here");
    }, log);
    const created = await tandem.createRelease({ services: ["api@1.0.0"] });
    expect((await tandem.run(created.id)).status).toBe("succeeded");
    const rows = await tandem.store.listOutbox({ statuses: ["pending"] });
    expect(rows.length).toBe((await tandem.events(created.id)).length);
    expect(await tandem.notifications.drain(1_000)).toBe(rows.length);
    expect(warnings.join("\n")).toMatch(/stay in the outbox\): no such channel type here/);
  });
});
