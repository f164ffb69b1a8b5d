// The instances of bench/router-reaction.mjs, in their own process (forked with an IPC channel), as a
// user's services would run: HTTP servers whose /health can be switched to 500; `/` answers the version.
// Each instance also records when its /health is asked, so the bench can see the probe period as the
// instances saw it (gaps between two checks of one instance).
// Messages in: {seq, op: "start", service, version, count} | {seq, op: "stop", ids} |
// {seq, op: "fail", ids} | {seq, op: "gaps", reset} | {seq, op: "close"}; each answered {seq, ...}.

import { createServer } from "node:http";

const instances = new Map();
let seq = 0;
/** Gaps (ms) between two consecutive /health requests of one instance, since the last reset. */
let gaps = [];

async function start(service, version, count) {
  const started = [];
  for (let i = 0; i < count; i++) {
    const instance = { healthy: true, lastHealthAt: 0 };
    instance.server = createServer((req, res) => {
      const health = req.url === "/health";
      if (health) {
        const now = performance.now();
        if (instance.lastHealthAt > 0) gaps.push(now - instance.lastHealthAt);
        instance.lastHealthAt = now;
      }
      const body = health ? (instance.healthy ? "ok" : "sick") : version;
      res.writeHead(health && !instance.healthy ? 500 : 200, { "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise((resolve) => instance.server.listen(0, "127.0.0.1", resolve));
    const id = `${service}-${version}-${++seq}`;
    instances.set(id, instance);
    started.push({
      id,
      version,
      host: "127.0.0.1",
      port: instance.server.address().port,
      startedAt: Date.now(),
    });
  }
  return started;
}

async function stop(ids) {
  await Promise.all(
    ids.map((id) => {
      const instance = instances.get(id);
      if (!instance) return undefined;
      instances.delete(id);
      instance.server.closeAllConnections();
      return new Promise((resolve) => instance.server.close(resolve));
    }),
  );
}

function quantiles(values) {
  const sorted = Float64Array.from(values).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}

// The bench is gone (or done): nothing is left to serve.
process.on("disconnect", () => process.exit(0));

process.on("message", async (message) => {
  const { seq: id, op } = message;
  try {
    if (op === "start") {
      process.send({ seq: id, endpoints: await start(message.service, message.version, message.count) });
    } else if (op === "stop") {
      await stop(message.ids);
      process.send({ seq: id });
    } else if (op === "fail") {
      // One synchronous sweep: every listed instance turns unhealthy within the same millisecond or so.
      const at = Date.now();
      for (const instanceId of message.ids) {
        const instance = instances.get(instanceId);
        if (instance) instance.healthy = false;
      }
      process.send({ seq: id, at, sweptMs: Date.now() - at });
    } else if (op === "gaps") {
      const stats = gaps.length > 0 ? quantiles(gaps) : { count: 0 };
      if (message.reset) {
        gaps = [];
        for (const instance of instances.values()) instance.lastHealthAt = 0;
      }
      process.send({ seq: id, ...stats });
    } else if (op === "close") {
      await stop([...instances.keys()]);
      process.send({ seq: id });
      process.disconnect();
    }
  } catch (error) {
    process.send({ seq: id, error: String(error?.stack ?? error) });
  }
});
