// The Tandem demo service: a tiny dependency-free HTTP server whose behaviour comes from the
// `release.json` in its working directory (one directory per version), so each version can be good,
// faster, unhealthy or quietly failing. Run with cwd examples/demo/app/<version> and PORT set.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { basename } from "node:path";

const STOP_TIMEOUT_MS = 5000;

const release = { errorRate: 0, latencyMs: 0, healthy: true, healthyAfterMs: 0, ...readRelease() };
const service = process.env.TANDEM_SERVICE || "demo";
const version = process.env.TANDEM_VERSION || basename(process.cwd());
const port = Number(process.env.PORT || 8080);
const startedAt = Date.now();

let requests = 0;
let stopping = false;

function readRelease() {
  try {
    return JSON.parse(readFileSync("release.json", "utf8"));
  } catch (error) {
    console.error(`demo: cannot read release.json in ${process.cwd()}: ${error.message}`);
    process.exit(1);
  }
}

/** Fails exactly `errorRate` of the requests, spread evenly (1 in 20 for 0.05), so runs are repeatable. */
function shouldFail() {
  requests++;
  return Math.floor(requests * release.errorRate) > Math.floor((requests - 1) * release.errorRate);
}

function send(response, status, body, contentType = "application/json") {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  response.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(text),
    // While stopping, ask clients to drop the connection so keep-alive sockets drain.
    ...(stopping ? { connection: "close" } : {}),
  });
  response.end(text);
}

function health(response) {
  if (!release.healthy) return send(response, 503, "database unreachable\n", "text/plain");
  if (Date.now() - startedAt < release.healthyAfterMs) return send(response, 503, "starting\n", "text/plain");
  send(response, 200, "ok\n", "text/plain");
}

function home(response) {
  setTimeout(() => {
    if (shouldFail()) send(response, 500, { error: "internal error", service, version, pid: process.pid });
    else send(response, 200, { service, version, pid: process.pid });
  }, release.latencyMs);
}

const server = createServer({ keepAliveTimeout: 5000 }, (request, response) => {
  const path = new URL(request.url ?? "/", "http://localhost").pathname;
  if (request.method !== "GET" && request.method !== "HEAD")
    return send(response, 405, { error: "method not allowed" });
  if (path === "/health") return health(response);
  if (path === "/") return home(response);
  send(response, 404, { error: "not found" });
});

server.listen(port, "127.0.0.1", () => {
  console.log(`demo: ${service}@${version} listening on 127.0.0.1:${port} (pid ${process.pid})`);
});

function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`demo: ${signal} received, draining`);
  // Stop accepting; the callback runs once every connection is gone.
  server.close(() => {
    console.log("demo: stopped");
    process.exit(0);
  });
  // Idle keep-alive sockets would hold close() open; busy ones close after their response.
  server.closeIdleConnections();
  setTimeout(() => {
    console.log(`demo: still busy after ${STOP_TIMEOUT_MS}ms, closing every connection`);
    server.closeAllConnections();
    process.exit(0);
  }, STOP_TIMEOUT_MS).unref();
}

process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
