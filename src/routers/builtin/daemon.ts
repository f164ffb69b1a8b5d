import type { Server } from "node:http";
import { adminPort, startAdminServer } from "./admin.js";
import { type DaemonSettings, parseDaemonSettings } from "./daemon-settings.js";
import { dataPlaneStatus } from "./native-path.js";
import { ListenError, ServiceRegistry, type ServiceView } from "./services.js";

/**
 * The builtin router's process entry: `node dist/routers/builtin/daemon.js [--host 127.0.0.1]
 * [--hold-timeout 30000] [--hold-max-requests 1000] [--name shop/prod] [--port 8080 [--preview-port 8180]]`,
 * token in TANDEM_ROUTER_TOKEN. One daemon serves any number of services, each with its own listener,
 * route table and statistics (PUT /services/:name); `--port` opens one service named `--name` at start.
 * Prints one JSON line on stdout when ready (or `{"ready":false,...}` when it cannot start); logs go to stderr.
 */

/** In-flight requests get this long to finish on shutdown. */
const SHUTDOWN_GRACE_MS = 30_000;

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
  // Plain requests go to the native data plane when its addon loads, else to the JS fast path.
  log("info", "router data plane", { ...dataPlaneStatus() });

  const defaults = { holdTimeoutMs: settings.holdTimeoutMs, holdMaxRequests: settings.holdMaxRequests };
  const services = new ServiceRegistry();
  let first: ServiceView | undefined;
  if (settings.port !== undefined) {
    try {
      first = await services.put(settings.name, {
        host: settings.host,
        port: settings.port,
        ...(settings.previewPort === undefined ? {} : { previewPort: settings.previewPort }),
        ...defaults,
      });
    } catch (error) {
      const code = error instanceof ListenError ? error.code : "LISTEN_FAILED";
      announce({ ready: false, error: (error as Error).message, code });
      process.exit(1);
    }
  }

  let admin: Server | undefined;
  let stopping = false;
  const shutdown = (reason: string) => {
    if (stopping) return;
    stopping = true;
    log("info", "shutting down", { name: settings.name, reason, inFlight: services.activeRequests() });
    admin?.close();
    services
      .closeAll(SHUTDOWN_GRACE_MS)
      .catch((error: unknown) => log("error", "shutdown failed", { error: String(error) }))
      .finally(() => {
        admin?.closeAllConnections();
        log("info", "stopped", { name: settings.name });
        process.exit(0);
      });
  };
  const listening = first
    ? { listenHost: settings.host, listenPort: first.listenPort, previewPort: first.previewPort }
    : {};
  admin = await startAdminServer({
    services,
    ...(first ? { defaultService: settings.name } : {}),
    defaults,
    token: settings.token,
    health: { pid: process.pid, name: settings.name, shared: first === undefined, ...listening },
    onShutdown: () => shutdown("admin request"),
  });
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGHUP", () => {});

  const ready = {
    ready: true,
    pid: process.pid,
    adminPort: adminPort(admin),
    ...(first ? { listenPort: first.listenPort, previewPort: first.previewPort } : {}),
  };
  log("info", "router ready", { name: settings.name, host: settings.host, ...ready });
  announce(ready);
}

main().catch((error: unknown) => {
  log("error", "router failed", { error: error instanceof Error ? error.stack : String(error) });
  announce({ ready: false, error: String(error), code: "START_FAILED" });
  process.exit(1);
});
