import { request } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { GENERATION_PATH } from "./config-text.js";

const REQUEST_TIMEOUT_MS = 1_000;
const POLL_MS = 20;

/**
 * The generation the admin server answers on a fresh connection (so it comes from a worker that
 * accepts new connections now), or undefined when nothing answers.
 */
export function fetchGeneration(adminPort: number, signal: AbortSignal): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: adminPort,
        path: GENERATION_PATH,
        agent: false,
        headers: { connection: "close" },
        signal,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => {
          const generation = Number.parseInt(body.trim(), 10);
          resolve(res.statusCode === 200 && Number.isInteger(generation) ? generation : undefined);
        });
        res.on("error", () => resolve(undefined));
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}

/**
 * Polls until `consecutive` fresh connections in a row are answered with `generation`: after a reload
 * the old workers stop accepting, so several new-generation answers in a row mean the new workers
 * serve. Real time (the process is real); false when the deadline passes first.
 */
export async function awaitGeneration(
  adminPort: number,
  generation: number,
  options: { consecutive: number; timeoutMs: number; signal: AbortSignal },
): Promise<{ ok: boolean; last: number | undefined }> {
  const deadline = Date.now() + options.timeoutMs;
  let streak = 0;
  let last: number | undefined;
  for (;;) {
    options.signal.throwIfAborted();
    last = await fetchGeneration(adminPort, options.signal);
    streak = last === generation ? streak + 1 : 0;
    if (streak >= options.consecutive) return { ok: true, last };
    if (Date.now() >= deadline) return { ok: false, last };
    if (streak === 0) await delay(POLL_MS, undefined, { signal: options.signal });
  }
}
