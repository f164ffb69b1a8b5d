import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { NotificationChannelConfig, NotificationRouting } from "../core/config.js";
import type { EventType, Severity, TandemEvent } from "../core/types.js";
import type { Notification } from "./types.js";

/** What a loopback receiver got: exactly as it arrived on the socket. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * How the receiver answers: a status and body; never (`hang`); or a 200 whose body never ends
 * (`stall`: the headers arrive, then nothing).
 */
export type Answer = { status: number; body?: string } | "hang" | "stall";

export interface Receiver {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: ReceivedRequest[];
  answer: Answer;
  close(): Promise<void>;
}

/** A node:http server on 127.0.0.1:0 that records every request and answers with `answer`. */
export async function startReceiver(answer: Answer = { status: 200, body: "ok" }): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const hanging: ServerResponse[] = [];
  const receiver: Receiver = { origin: "", requests, answer, close: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      const current = receiver.answer;
      if (current === "hang" || current === "stall") {
        if (current === "stall") res.writeHead(200, { "content-type": "text/plain" }).write("partial");
        hanging.push(res);
        return;
      }
      res.writeHead(current.status, { "content-type": "text/plain" }).end(current.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  receiver.origin = `http://127.0.0.1:${port}`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const T0 = Date.UTC(2026, 11, 1, 5, 20, 12);

export function event(
  type: EventType,
  overrides: Partial<TandemEvent> & { severity?: Severity } = {},
): TandemEvent {
  return {
    at: T0,
    releaseId: "rel-42",
    project: "shop",
    environment: "production",
    type,
    severity: "info",
    message: `${type} happened`,
    ...overrides,
  };
}

/** A failed release of api 2.3.0 → 2.4.0 (rolled back) and web 1.7.0 → 1.8.0 (never started). */
export function notification(overrides: Partial<Notification> = {}): Notification {
  return {
    id: "ntf-1-rel-42-release.failed",
    channel: "ops",
    events: [
      event("release.failed", {
        severity: "error",
        message: "api: probe /health failed 3 times <script>alert(1)</script> & more",
      }),
    ],
    release: {
      id: "rel-42",
      project: "shop",
      environment: "production",
      status: "failed",
      services: [
        { service: "api", version: "2.4.0", stableVersion: "2.3.0", status: "rolled_back", weight: 0 },
        { service: "web", version: "1.8.0", stableVersion: "1.7.0", status: "pending", weight: 0 },
      ],
    },
    url: "https://tandem.example.com/releases/rel-42",
    ...overrides,
  };
}

/** `count` events of one release, one second apart. */
export function manyEvents(count: number, message = "weight changed to 25%"): TandemEvent[] {
  return Array.from({ length: count }, (_, index) =>
    event("rollout.weight_changed", {
      at: T0 + index * 1000,
      service: "api",
      message: `${message} #${index}`,
    }),
  );
}

const ROUTING: Omit<NotificationRouting, "name"> = {
  on: ["*"],
  environments: [],
  services: [],
  minSeverity: "info",
  digest: 0,
  timeout: 5000,
  maxAttempts: 3,
};

type Channel<T extends NotificationChannelConfig["type"]> = Extract<NotificationChannelConfig, { type: T }>;
type Own<T extends NotificationChannelConfig["type"]> = Omit<Channel<T>, keyof NotificationRouting | "type">;

/** A channel configuration as the schema would produce it (routing defaults filled in). */
export function channel<T extends NotificationChannelConfig["type"]>(
  type: T,
  own: Own<T> & Partial<NotificationRouting>,
): Channel<T> {
  return { ...ROUTING, name: type, type, ...own } as unknown as Channel<T>;
}
