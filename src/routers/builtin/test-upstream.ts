import { type Agent, createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import type { RouteBackend } from "../types.js";

/** A real HTTP server standing in for one instance of a version, for router tests. */
export interface TestUpstream {
  id: string;
  version: string;
  port: number;
  server: Server;
  /** Requests this upstream received. */
  received: number;
  /** Stops listening and destroys every connection, like a killed process. */
  kill(): Promise<void>;
}

/**
 * Answers `GET /...` with its version as the body; `/status/NNN` answers NNN; `/echo` streams the request body
 * back; `/headers` answers the request headers as JSON; `/slow/MS` answers after MS milliseconds.
 */
export async function startUpstream(
  version: string,
  id = `${version}-${Math.random().toString(36).slice(2, 8)}`,
): Promise<TestUpstream> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    upstream.received++;
    const url = req.url ?? "/";
    if (url === "/echo") {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      req.pipe(res);
      return;
    }
    req.resume();
    if (url === "/headers") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(req.headers));
      return;
    }
    const status = /^\/status\/(\d{3})$/.exec(url);
    const slow = /^\/slow\/(\d+)$/.exec(url);
    const answer = () => {
      res.writeHead(status ? Number(status[1]) : 200, { "content-type": "text/plain", "x-upstream": id });
      res.end(version);
    };
    if (slow) setTimeout(answer, Number(slow[1]));
    else answer();
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const upstream: TestUpstream = {
    id,
    version,
    port: (server.address() as AddressInfo).port,
    server,
    received: 0,
    kill: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
  return upstream;
}

export function backendOf(version: string, weight: number, upstreams: TestUpstream[]): RouteBackend {
  return {
    version,
    weight,
    endpoints: upstreams.map((u) => ({ id: u.id, host: "127.0.0.1", port: u.port })),
  };
}

export interface TestResponse {
  status: number;
  body: string;
  headers: IncomingHttpHeaders;
}

/** One HTTP request with node:http (keep-alive when an agent is given); rejects on transport errors. */
export function send(
  port: number,
  path: string,
  options: { method?: string; body?: string | Buffer; agent?: Agent; headers?: Record<string, string> } = {},
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: options.method ?? "GET",
        agent: options.agent,
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            headers: res.headers,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/**
 * Writes `chunks` on one raw connection (each after the previous was written) and reads until it closes;
 * the socket goes into `track` so the test's cleanup can destroy it.
 */
export function rawExchange(
  port: number,
  chunks: (string | Buffer)[],
  track: Socket[],
  deadlineMs = 5_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    track.push(socket);
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${deadlineMs}ms; received: ${received.slice(0, 500)}`));
    }, deadlineMs);
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
    const write = (i: number) => {
      if (i < chunks.length) socket.write(chunks[i]!, () => write(i + 1));
    };
    write(0);
  });
}

/** The status lines of every response in a raw exchange's text. */
export const statusLines = (text: string): string[] => text.match(/^HTTP\/1\.1 \d{3}/gm) ?? [];
