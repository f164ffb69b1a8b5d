import { createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { ReleaseState } from "../src/core/types.js";
import { describeRun } from "./helpers/cli.js";
import { freePort } from "./helpers/ports.js";
import { TestProject } from "./helpers/project.js";

interface DeliveryJson {
  id: string;
  channel: string;
  status: string;
  event: { type: string };
  releaseId: string;
  attempts: number;
  nextAttemptAt: number;
  lastError?: string;
}

const AS_CI = { env: { TANDEM_USER: "notify-test", TANDEM_NOTIFY_GRACE: "1s" } };

/** A channel nobody answers (a free port, closed): deliveries stay in the outbox. */
function config(port: number): string {
  return `project: shop
environments: { staging: {} }
services:
  api:
    target: { type: sim }
notifications:
  - type: webhook
    name: ops
    url: http://127.0.0.1:${port}/hook
    timeout: 500ms
`;
}

describe("tandem notifications", () => {
  let project: TestProject | undefined;

  afterEach(async () => {
    const finished = project;
    project = undefined;
    await finished?.cleanup();
  });

  it("a deploy ends although its channel is unreachable; the deliveries wait, listed; dead ones revive", async () => {
    const port = await freePort();
    project = TestProject.withConfigText(config(port));
    const p = project;
    const release = await p.cliJson<ReleaseState>(["deploy", "api@1.0.0"], 0, AS_CI);
    expect(release.status).toBe("succeeded");

    const waiting = await p.cliJson<DeliveryJson[]>(["notifications"], 0, AS_CI);
    expect(waiting.map((d) => d.event.type)).toEqual(["release.created", "release.succeeded"]);
    expect(waiting.every((d) => d.channel === "ops" && d.status === "pending")).toBe(true);
    expect(waiting.every((d) => d.releaseId === release.id)).toBe(true);

    const args = ["notifications", "list"];
    const text = await p.cli(args, AS_CI);
    expect(text.code, describeRun(args, text)).toBe(0);
    expect(text.stdout).toContain("release.succeeded");
    expect(text.stdout).toContain(waiting[0]!.id);

    // Give one up, as the dispatcher does after maxAttempts; then revive it by id.
    const store = (await p.inspect()).store;
    await store.markOutboxDead([waiting[0]!.id], "refused");
    const dead = await p.cliJson<DeliveryJson[]>(["notifications"], 0, AS_CI);
    expect(dead.find((d) => d.id === waiting[0]!.id)).toMatchObject({ status: "dead", lastError: "refused" });
    expect(
      await p.cliJson<{ revived: number }>(["notifications", "retry", waiting[0]!.id], 0, AS_CI),
    ).toEqual({
      revived: 1,
    });
    await store.markOutboxDead([waiting[1]!.id], "refused");
    expect(await p.cliJson<{ revived: number }>(["notifications", "retry", "--all-dead"], 0, AS_CI)).toEqual({
      revived: 1,
    });
    const after = await p.cliJson<DeliveryJson[]>(["notifications"], 0, AS_CI);
    expect(after.map((d) => [d.status, d.attempts])).toEqual([
      ["pending", 0],
      ["pending", 0],
    ]);

    // The receiver comes up: `tandem notifications deliver` sends both, as CloudEvents, and exits.
    const received: Array<{ key: string; body: { id: string; type: string } }> = [];
    const receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        received.push({
          key: String(request.headers["idempotency-key"]),
          body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
        });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(port, "127.0.0.1", resolve));
    try {
      const delivered = await p.cli(["notifications", "deliver", "--timeout", "20s"], AS_CI);
      expect(delivered.code, describeRun(["notifications", "deliver"], delivered)).toBe(0);
    } finally {
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
    expect(received.map((r) => r.body.type).sort()).toEqual([
      "dev.tandem.release.created",
      "dev.tandem.release.succeeded",
    ]);
    expect(new Set(received.map((r) => r.key))).toEqual(new Set(waiting.map((d) => d.id)));
    expect(received.every((r) => r.body.id === r.key)).toBe(true);
    expect(await p.cliJson<DeliveryJson[]>(["notifications"], 0, AS_CI)).toEqual([]);
  }, 180_000);
});
