import { createServer } from "node:net";
import type { ProbeTiming } from "../core/config.js";
import type { Endpoint } from "../core/types.js";

export const timing: ProbeTiming = {
  initialDelay: 0,
  period: 1_000,
  timeout: 1_000,
  failureThreshold: 3,
  successThreshold: 1,
};

export function endpointAt(port: number, version = "1.0.0"): Endpoint {
  return { id: `api-${version}-test`, version, host: "127.0.0.1", port, startedAt: 0 };
}

/** A loopback port nothing listens on (bound, read, closed). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
