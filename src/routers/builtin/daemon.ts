import type { Server } from "node:http";
import { adminPort, startAdminServer } from "./admin.js";
import { RouterProxy } from "./proxy.js";

/**
 * The builtin router's process entry: `node dist/routers/builtin/daemon.js --port 8080 [--host 127.0.0.1]
 * [--hold-timeout 30000] [--hold-max-requests 1000] [--name shop/prod/api]`, token in TANDEM_ROUTER_TOKEN.
 * Prints one JSON line on stdout when ready (or `{"ready":false,...}` when it cannot start); logs go to stderr.
 */

export interface DaemonSettings {
  host: string;
  port: number;
  holdTimeoutMs: number;
  holdMaxRequests: number;
  name: string;
  token: string;
}

/** In-flight requests get this long to finish on shutdown. */
const SHUTDOWN_GRACE_MS = 30_000;

export function parseDaemonSettings(argv: string[], env: NodeJS.ProcessEnv): DaemonSettings {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (!flag.startsWith("--") || value === undefined)
      throw new Error(`expected --flag value pairs, got "${flag}"`);
    flags.set(flag.slice(2), value);
  }
  const read = (flag: string, envName: string, fallback?: string): string => {
    const value = flags.get(flag) ?? env[envName] ?? fallback;
    if (value === undefined) throw new Error(`--${flag} (or ${envName}) is required`);
    return value;
  };
  const integer = (flag: string, envName: string, fallback?: string): number => {
    const text = read(flag, envName, fallback);
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`--${flag} must be a whole number, got "${text}"`);
    return value;
  };
  const token = env.TANDEM_ROUTER_TOKEN;
  if (!token) throw new Error("TANDEM_ROUTER_TOKEN is required");
  return {
    host: read("host", "TANDEM_ROUTER_HOST", "127.0.0.1"),
    port: integer("port", "TANDEM_ROUTER_PORT"),
    holdTimeoutMs: integer("hold-timeout", "TANDEM_ROUTER_HOLD_TIMEOUT", "30000"),
    holdMaxRequests: integer("hold-max-requests", "TANDEM_ROUTER_HOLD_MAX_REQUESTS", "1000"),
    name: read("name", "TANDEM_ROUTER_NAME", "router"),
    token,
  };
}

function log(level: string, message: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
}

function announce(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  // The engine closes its end of the pipe after the ready line; later writes must not crash us.
  process.stdout.on("error", () => {});
  let settings: DaemonSettings;
  try {
    settings = parseDaemonSettings(process.argv.slice(2), process.env);
  } catch (error) {
    announce({ ready: false, error: (error as Error).message, code: "BAD_SETTINGS" });
    process.exit(2);
  }
  delete process.env.TANDEM_ROUTER_TOKEN;

  const proxy = new RouterProxy({
    holdTimeoutMs: settings.holdTimeoutMs,
    holdMaxRequests: settings.holdMaxRequests,
  });
  let listenPort: number;
  try {
    listenPort = (await proxy.listen(settings.port, settings.host)).port;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    announce({ ready: false, error: message, code: code ?? "LISTEN_FAILED" });
    process.exit(1);
  }

  let admin: Server | undefined;
  let stopping = false;
  const shutdown = (reason: string) => {
    if (stopping) return;
    stopping = true;
    log("info", "shutting down", { name: settings.name, reason, inFlight: proxy.activeRequests() });
    admin?.close();
    proxy
      .close(SHUTDOWN_GRACE_MS)
      .catch((error: unknown) => log("error", "shutdown failed", { error: String(error) }))
      .finally(() => {
        admin?.closeAllConnections();
        log("info", "stopped", { name: settings.name });
        process.exit(0);
      });
  };
  admin = await startAdminServer({
    proxy,
    token: settings.token,
    health: { pid: process.pid, name: settings.name, listenHost: settings.host, listenPort },
    onShutdown: () => shutdown("admin request"),
  });
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGHUP", () => {});

  const ready = { ready: true, pid: process.pid, listenPort, adminPort: adminPort(admin) };
  log("info", "router ready", { name: settings.name, host: settings.host, ...ready });
  announce(ready);
}

main().catch((error: unknown) => {
  log("error", "router failed", { error: error instanceof Error ? error.stack : String(error) });
  announce({ ready: false, error: String(error), code: "START_FAILED" });
  process.exit(1);
});
