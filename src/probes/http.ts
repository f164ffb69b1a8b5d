import type { ProbeConfig } from "../core/config.js";
import { TandemError } from "../core/errors.js";
import type { Endpoint } from "../core/types.js";
import { describeAbort, describeNetworkError, hostPort } from "./network.js";
import type { Probe, ProbeResult } from "./types.js";

export type HttpProbeConfig = Extract<ProbeConfig, { type: "http" }>;

const BODY_EXCERPT_CHARS = 120;

/**
 * GET http://host:port/path; healthy when the status is within `status` (redirects are not followed,
 * a 3xx is judged as it is) and, when `body` is set, the body matches it.
 */
export class HttpProbe implements Probe {
  readonly name: string;
  private readonly bodyPattern: RegExp | undefined;

  constructor(readonly config: HttpProbeConfig) {
    this.name = config.name;
    try {
      this.bodyPattern = config.body === undefined ? undefined : new RegExp(config.body);
    } catch (error) {
      throw new TandemError(
        "TANDEM_ERR_PROBE",
        `probe "${config.name}": invalid body pattern ${config.body}`,
        {
          cause: error,
          hint: 'write `body` as a JavaScript regular expression, e.g. \'"status":\\s*"ok"\'',
        },
      );
    }
  }

  async check(endpoint: Endpoint, signal: AbortSignal): Promise<ProbeResult> {
    const path = this.config.path.startsWith("/") ? this.config.path : `/${this.config.path}`;
    const url = `http://${hostPort(endpoint.host, this.config.port ?? endpoint.port)}${path}`;
    const request = `GET ${url}`;
    const [low, high] = this.config.status;
    const startedAt = performance.now();
    const elapsed = () => Math.round(performance.now() - startedAt);
    const timeoutSignal = AbortSignal.timeout(this.config.timeout);
    const combined = AbortSignal.any([signal, timeoutSignal]);
    try {
      const response = await fetch(url, {
        headers: this.config.headers,
        signal: combined,
        redirect: "manual",
      });
      const seen = `${request} -> ${response.status}`;
      if (response.status < low || response.status > high) {
        await response.body?.cancel().catch(() => {});
        return { ok: false, message: `${seen} (expected ${low}-${high})`, durationMs: elapsed() };
      }
      if (!this.bodyPattern) {
        await response.body?.cancel().catch(() => {});
        return { ok: true, message: seen, durationMs: elapsed() };
      }
      const body = await response.text();
      if (!this.bodyPattern.test(body)) {
        return {
          ok: false,
          message: `${seen}, body does not match /${this.config.body}/: ${JSON.stringify(excerpt(body))}`,
          durationMs: elapsed(),
        };
      }
      return { ok: true, message: `${seen}, body matches`, durationMs: elapsed() };
    } catch (error) {
      const why = combined.aborted
        ? describeAbort(timeoutSignal, this.config.timeout)
        : describeNetworkError(error);
      return { ok: false, message: `${request} -> ${why}`, durationMs: elapsed() };
    }
  }
}

function excerpt(body: string): string {
  return body.length > BODY_EXCERPT_CHARS ? `${body.slice(0, BODY_EXCERPT_CHARS)}…` : body;
}
