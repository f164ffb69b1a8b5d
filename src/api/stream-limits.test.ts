import type { AddressInfo } from "node:net";
import { connect, type Socket } from "node:net";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { useApiFixture } from "./test-fixture.js";

const api = useApiFixture({
  stream: { pollMs: 50, heartbeatMs: 60_000, maxPerToken: 2, maxTotal: 3, stallMs: 300 },
});

const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});

async function listen(): Promise<number> {
  await api.fixture.app.listen({ port: 0, host: "127.0.0.1" });
  return (api.fixture.app.server.address() as AddressInfo).port;
}

/** Opens a stream on a raw socket; resolves with the status line once the head arrived. */
function openStream(port: number, token: string, options: { read?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    sockets.push(socket);
    let head = "";
    const onData = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      if (head.includes("\r\n")) {
        if (options.read === false) {
          socket.off("data", onData);
          socket.pause();
        }
        resolve(head.slice(0, head.indexOf("\r\n")));
      }
    };
    socket.on("data", onData);
    socket.on("error", reject);
    socket.write(`GET /api/v1/events/stream HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n\r\n`);
  });
}

/** A GET of the stream: status, code, Retry-After; the body (if a stream) is dropped at once. */
async function tryStream(port: number, token: string) {
  const response = await request(`http://127.0.0.1:${port}/api/v1/events/stream`, {
    headers: { authorization: `Bearer ${token}` },
    headersTimeout: 10_000,
  });
  const status = response.statusCode;
  const retryAfter = response.headers["retry-after"];
  if (status === 200) {
    response.body.destroy();
    return { status, retryAfter, code: undefined };
  }
  const body = (await response.body.json()) as { error: { code: string; message: string } };
  return { status, retryAfter, code: body.error.code, message: body.error.message };
}

async function eventually<T>(what: string, probe: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (let attempt = 0; attempt < 300; attempt++) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what}: not reached in time`);
}

describe("event stream limits", () => {
  it("admits at most maxPerToken streams per token and maxTotal in all (429, Retry-After, the limit named), and frees a slot when a stream closes", async () => {
    const port = await listen();
    const viewer = api.seed.tokens.viewer!;
    expect(await openStream(port, viewer)).toContain("200");
    expect(await openStream(port, viewer)).toContain("200");
    const third = await tryStream(port, viewer);
    expect(third.status).toBe(429);
    expect(third.code).toBe("TANDEM_ERR_BUSY");
    expect(third.message).toContain("2 open event streams per token");
    expect(third.retryAfter).toBe("5");

    expect(await openStream(port, api.seed.tokens.admin!)).toContain("200");
    const overall = await tryStream(port, api.seed.tokens.deployer!);
    expect(overall.status).toBe(429);
    expect(overall.message).toContain("server's limit of 3");

    sockets.shift()?.destroy();
    await eventually(
      "a slot freed by a closed stream",
      () => tryStream(port, viewer),
      (r) => r.status !== 429,
    );
  });

  it("closes a reader that stops reading instead of queueing for it without bound", async () => {
    const port = await listen();
    // More than loopback's socket buffers hold, so the server's writes start to wait for the reader.
    const big = "x".repeat(8_000);
    const events = Array.from({ length: 1_000 }, (_, i) => ({
      at: api.fixture.clock.now(),
      releaseId: api.seed.s1,
      project: "shop",
      environment: "staging",
      type: "release.created" as const,
      severity: "info" as const,
      message: `filler ${i}`,
      data: { big },
    }));
    await api.fixture.store.appendEvents(events);
    const viewer = api.seed.tokens.viewer!;
    expect(await openStream(port, viewer, { read: false })).toContain("200");
    await eventually(
      "the stalled stream closed by the server",
      async () => api.fixture.lines.join("\n"),
      (log) => /event stream reader (stalled|too slow): closed/.test(log),
    );
    // Its slot is free again: both of the viewer's streams can be opened.
    const both = await Promise.all([tryStream(port, viewer), tryStream(port, viewer)]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
  });
});
