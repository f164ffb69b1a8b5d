import { connect } from "node:net";
import type { ProbeConfig } from "../core/config.js";
import type { Endpoint } from "../core/types.js";
import { describeNetworkError, hostPort } from "./network.js";
import type { Probe, ProbeResult } from "./types.js";

export type TcpProbeConfig = Extract<ProbeConfig, { type: "tcp" }>;

/** Healthy when a TCP connection to host:port opens within the timeout. */
export class TcpProbe implements Probe {
  readonly name: string;

  constructor(readonly config: TcpProbeConfig) {
    this.name = config.name;
  }

  check(endpoint: Endpoint, signal: AbortSignal): Promise<ProbeResult> {
    const port = this.config.port ?? endpoint.port;
    const prefix = `TCP ${hostPort(endpoint.host, port)} ->`;
    const startedAt = performance.now();
    const elapsed = () => Math.round(performance.now() - startedAt);
    if (signal.aborted) return Promise.resolve({ ok: false, message: `${prefix} aborted`, durationMs: 0 });

    return new Promise<ProbeResult>((resolve) => {
      const socket = connect({ host: endpoint.host, port });
      let settled = false;
      const finish = (ok: boolean, outcome: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        socket.destroy();
        resolve({ ok, message: `${prefix} ${outcome}`, durationMs: elapsed() });
      };
      const onAbort = () => finish(false, "aborted");
      const timer = setTimeout(
        () => finish(false, `timed out after ${this.config.timeout}ms`),
        this.config.timeout,
      );
      signal.addEventListener("abort", onAbort, { once: true });
      socket.once("connect", () => finish(true, "connected"));
      socket.on("error", (error) => finish(false, describeNetworkError(error)));
    });
  }
}
