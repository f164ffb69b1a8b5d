import { Client, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import type { ProbeConfig } from "../core/config.js";
import type { Endpoint } from "../core/types.js";
import { describeNetworkError, hostPort } from "./network.js";
import type { Probe, ProbeResult } from "./types.js";

export type GrpcProbeConfig = Extract<ProbeConfig, { type: "grpc" }>;

interface HealthCheckRequest {
  service: string;
}
interface HealthCheckResponse {
  status?: string | number;
}

const checkMethod = healthService.Check!;
const SERVING_STATUS_NAMES = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

/**
 * The standard gRPC health check (grpc.health.v1.Health/Check) over plaintext; healthy when the
 * server answers SERVING for `service` ("" is the whole server).
 */
export class GrpcProbe implements Probe {
  readonly name: string;

  constructor(readonly config: GrpcProbeConfig) {
    this.name = config.name;
  }

  check(endpoint: Endpoint, signal: AbortSignal): Promise<ProbeResult> {
    const address = hostPort(endpoint.host, this.config.port ?? endpoint.port);
    const serviceName = this.config.service ?? "";
    const prefix = `gRPC ${address} Health/Check(${JSON.stringify(serviceName)}) ->`;
    const startedAt = performance.now();
    const elapsed = () => Math.round(performance.now() - startedAt);
    if (signal.aborted) return Promise.resolve({ ok: false, message: `${prefix} aborted`, durationMs: 0 });

    const client = new Client(address, credentials.createInsecure());
    return new Promise<ProbeResult>((resolve) => {
      const finish = (ok: boolean, outcome: string) => {
        signal.removeEventListener("abort", onAbort);
        client.close();
        resolve({ ok, message: `${prefix} ${outcome}`, durationMs: elapsed() });
      };
      const call = client.makeUnaryRequest<HealthCheckRequest, HealthCheckResponse>(
        checkMethod.path,
        checkMethod.requestSerialize,
        checkMethod.responseDeserialize,
        { service: serviceName },
        new Metadata(),
        { deadline: Date.now() + this.config.timeout },
        (error, response) => {
          if (error) return finish(false, this.describeError(error, signal));
          const servingStatus = statusName(response?.status);
          finish(servingStatus === "SERVING", servingStatus);
        },
      );
      const onAbort = () => call.cancel();
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private describeError(error: ServiceError, signal: AbortSignal): string {
    switch (error.code) {
      case status.CANCELLED:
        return signal.aborted ? "aborted" : `cancelled: ${error.details}`;
      case status.DEADLINE_EXCEEDED:
        return `timed out after ${this.config.timeout}ms`;
      case status.UNAVAILABLE:
        return `unavailable: ${describeUnavailable(error.details)}`;
      case status.NOT_FOUND:
        return `SERVICE_UNKNOWN: ${error.details}`;
      case status.UNIMPLEMENTED:
        return "the server does not implement grpc.health.v1.Health";
      default:
        return `${status[error.code] ?? error.code}: ${error.details}`;
    }
  }
}

/** grpc-js details are long ("No connection established. Last error: …"); keep what a person needs. */
function describeUnavailable(details: string): string {
  const code = /\b(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|ETIMEDOUT)\b/.exec(
    details,
  )?.[1];
  if (code) return describeNetworkError({ code });
  return details.replace(/\s*Resolution note:.*$/s, "").trim() || "no connection";
}

function statusName(value: string | number | undefined): string {
  if (typeof value === "number") return SERVING_STATUS_NAMES[value] ?? `status ${value}`;
  return value ?? "UNKNOWN";
}
