import type { ProbeConfig } from "../core/config.js";
import { UnknownTypeError } from "../core/errors.js";
import { ExecProbe } from "./exec.js";
import { GrpcProbe } from "./grpc.js";
import { HttpProbe } from "./http.js";
import { TcpProbe } from "./tcp.js";
import type { Probe } from "./types.js";

export const PROBE_TYPES = ["http", "tcp", "exec", "grpc"] as const;

/** The probe for a health check's configuration; an unknown `type` is an error, never a default. */
export function createProbe(config: ProbeConfig): Probe {
  switch (config.type) {
    case "http":
      return new HttpProbe(config);
    case "tcp":
      return new TcpProbe(config);
    case "exec":
      return new ExecProbe(config);
    case "grpc":
      return new GrpcProbe(config);
    default:
      throw new UnknownTypeError("probe", String((config as { type: unknown }).type), PROBE_TYPES);
  }
}

export { ExecProbe } from "./exec.js";
export { GrpcProbe } from "./grpc.js";
export { HttpProbe } from "./http.js";
export { ProbeMonitor } from "./monitor.js";
export { TcpProbe } from "./tcp.js";
export type { EndpointHealth, Probe, ProbeResult } from "./types.js";
