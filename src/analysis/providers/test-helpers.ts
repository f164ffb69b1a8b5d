import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { MeasureContext } from "../types.js";

/** A look at api@2.0.0 against 1.0.0 in production, over a 30s window. */
export function measureContext(overrides: Partial<MeasureContext> = {}): MeasureContext {
  const now = Date.now();
  return {
    project: "shop",
    environment: "production",
    service: "api",
    canaryVersion: "2.0.0",
    baselineVersion: "1.0.0",
    startedAt: now - 60_000,
    now,
    windowMs: 30_000,
    signal: new AbortController().signal,
    ...overrides,
  };
}

export interface TestServer {
  url: string;
  server: Server;
  /** Every request seen: method, URL, headers and body. */
  requests: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[];
  close(): Promise<void>;
}

/** A real node:http server on a free loopback port. */
export async function startServer(
  handler: (request: IncomingMessage, response: ServerResponse, body: string) => void,
): Promise<TestServer> {
  const requests: TestServer["requests"] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      body += chunk;
    });
    request.on("end", () => {
      requests.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body });
      handler(request, response, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
