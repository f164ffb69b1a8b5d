import { withTimeout } from "../../core/abort.js";
import { describeError, stopReason, tail } from "./common.js";

/** Largest response body a provider reads (a metric is one number; a huge answer is a mistake). */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export type HttpAnswer =
  | { ok: true; status: number; body: string }
  | { ok: false; reason: string; status?: number; body?: string };

/**
 * One HTTP request with Node's fetch, bounded by `timeoutMs` and the caller's signal (the whole
 * exchange, body included). Never throws: a refused connection, a timeout or an oversized body is a
 * reason.
 */
export async function httpRequest(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
  timeoutMs: number,
  parent: AbortSignal,
): Promise<HttpAnswer> {
  const what = `${init.method} ${url}`;
  if (parent.aborted) return { ok: false, reason: `${what}: aborted` };
  try {
    return await withTimeout(parent, timeoutMs, async (signal) => {
      const response = await fetch(url, { ...init, signal, redirect: "follow" });
      const length = Number(response.headers.get("content-length") ?? 0);
      if (length > MAX_BODY_BYTES) {
        await response.body?.cancel();
        return {
          ok: false,
          reason: `${what}: response of ${length} bytes is too large`,
          status: response.status,
        };
      }
      const body = await response.text();
      if (body.length > MAX_BODY_BYTES) {
        return { ok: false, reason: `${what}: response is too large`, status: response.status };
      }
      return { ok: true, status: response.status, body } as const;
    });
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    if (name === "AbortError" || name === "TimeoutError") {
      return { ok: false, reason: `${what}: ${stopReason(parent, timeoutMs)}` };
    }
    return { ok: false, reason: `${what}: ${describeError(error)}` };
  }
}

/** `HTTP 500 from GET url: <start of the body>` */
export function statusReason(what: string, status: number, body: string): string {
  const excerpt = tail(body.slice(0, 300));
  return excerpt ? `HTTP ${status} from ${what}: ${excerpt}` : `HTTP ${status} from ${what}`;
}
