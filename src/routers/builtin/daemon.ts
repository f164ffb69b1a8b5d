import type { Server } from "node:http";
import { adminPort, startAdminServer } from "./admin.js";
import { type DaemonSettings, parseDaemonSettings } from "./daemon-settings.js";
import { RouterProxy } from "./proxy.js";
import { isRouterWorker, routerProxy, runRouterWorker, workerCount } from "./workers.js";

/**
 * The builtin router's process entry: `node dist/routers/builtin/daemon.js --port 8080 [--host 127.0.0.1]
 * [--hold-timeout 30000] [--hold-max-requests 1000] [--name shop/prod/api] [--preview-port 8180]
 * [--workers 1]`, token in TANDEM_ROUTER_TOKEN.
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
  if (isRouterWorker()) return runRouterWorker();
  // The engine closes its end of the pipe after the ready line; later writes must not crash us.
  process.stdout.on("error", () => {});
  let settings: DaemonSettings;
  let workers: number;
  try {
    settings = parseDaemonSettings(process.argv.slice(2), process.env);
    workers = workerCount(process.argv.slice(2));
  } catch (error) {
    announce({ ready: false, error: (error as Error).message, code: "BAD_SETTINGS" });
    process.exit(2);
  }
  delete process.env.TANDEM_ROUTER_TOKEN;

  const proxy = routerProxy(workers, {
    holdTimeoutMs: settings.holdTimeoutMs,
    holdMaxRequests: settings.holdMaxRequests,
  });
  const preview =
    settings.previewPort === undefined
      ? undefined
      : new RouterProxy({ holdTimeoutMs: settings.holdTimeoutMs, holdMaxRequests: settings.holdMaxRequests });
  let listenPort: number;
  let previewPort: number | null = null;
  try {
    listenPort = (await proxy.listen(settings.port, settings.host)).port;
    if (preview) previewPort = (await preview.listen(settings.previewPort ?? 0, settings.host)).port;
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
    Promise.all([proxy.close(SHUTDOWN_GRACE_MS), preview?.close(SHUTDOWN_GRACE_MS)])
      .catch((error: unknown) => log("error", "shutdown failed", { error: String(error) }))
      .finally(() => {
        admin?.closeAllConnections();
        log("info", "stopped", { name: settings.name });
        process.exit(0);
      });
  };
  admin = await startAdminServer({
    proxy,
    preview,
    token: settings.token,
    health: { pid: process.pid, name: settings.name, listenHost: settings.host, listenPort, previewPort },
    onShutdown: () => shutdown("admin request"),
  });
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGHUP", () => {});

  const ready = { ready: true, pid: process.pid, listenPort, previewPort, adminPort: adminPort(admin) };
  log("info", "router ready", { name: settings.name, host: settings.host, ...ready });
  announce(ready);
}

main().catch((error: unknown) => {
  log("error", "router failed", { error: error instanceof Error ? error.stack : String(error) });
  announce({ ready: false, error: String(error), code: "START_FAILED" });
  process.exit(1);
});
