// nginx as the router benchmark's reference proxy: Debian's nginx (found or installed by
// test/support/ensure-nginx.sh), run in the foreground in a temporary prefix directory of its own, with
// one listener proxying everything to `stable` and one splitting 90/10 between `stable` and `canary`
// (split_clients on the per-request $request_id, so every request rolls again, as the builtin router does).
// Both listeners keep upstream connections alive (proxy_http_version 1.1, Connection "", up to 256 idle
// ones per worker: the builtin router's limit per endpoint) and set the same X-Forwarded-* headers and Host
// the builtin router sends, with no access log (the builtin router keeps none), so both proxies do the same
// work. `cpus` (a taskset list such as "0" or "1-3") pins nginx, master and workers, to those cores.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ENSURE_SCRIPT = fileURLToPath(new URL("../test/support/ensure-nginx.sh", import.meta.url));

/** The nginx binary's path; throws with the reason when nginx is not installed and cannot be installed. */
export function nginxBinary() {
  try {
    const out = execFileSync("sh", [ENSURE_SCRIPT], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const path = out.trim().split("\n").pop();
    if (path) return path;
    throw new Error("ensure-nginx.sh printed no path");
  } catch (error) {
    const reason = error.stderr?.toString().trim() || error.message;
    throw new Error(`nginx is needed as the reference proxy and is missing: ${reason}`);
  }
}

/** A free TCP port on `host` (bound and released; nginx binds it right after). */
export function freePort(host) {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function config({ prefix, host, workers, stablePort, canaryPort, allPort, splitPort }) {
  const proxy = `
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;`;
  // keepalive_requests: nginx closes a keep-alive connection after 1,000 requests by default; Node
  // (the builtin router, the upstream) never does, so that limit is lifted on both sides.
  // The upstream's idle timeout (20s) stays under the upstream server's own (30s). keepalive 256: nginx
  // caches this many idle upstream connections per worker and closes the others after each response;
  // with the former 64, at 256 client connections it opened and closed an upstream connection for most
  // requests (its system time per request was 1.5x the router's), which the router (up to 256 kept
  // sockets per endpoint) never does.
  return `
worker_processes ${workers};
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  keepalive_requests 1000000;
  upstream stable { server ${host}:${stablePort}; keepalive 256; keepalive_requests 1000000; keepalive_timeout 20s; }
  upstream canary { server ${host}:${canaryPort}; keepalive 256; keepalive_requests 1000000; keepalive_timeout 20s; }
  split_clients "$request_id" $bench_backend { 90% stable; * canary; }
  server {
    listen ${host}:${allPort};
    location / { proxy_pass http://stable;${proxy}
    }
  }
  server {
    listen ${host}:${splitPort};
    location / { proxy_pass http://$bench_backend;${proxy}
    }
  }
}
`;
}

/** Pids whose parent is `pid` (nginx's workers, the router's workers), from /proc. */
export function childrenOf(pid) {
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function accepts(host, port) {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Starts nginx with `workers` worker processes (a number or "auto") in front of the two upstreams.
 * nginx runs in its own process group, so `kill()` ends the master and its workers together.
 * Returns {allUrl, splitUrl, pids() (master and workers, for CPU time), stop(), kill()}.
 */
export async function startNginx({
  binary,
  host,
  workers,
  stablePort,
  canaryPort,
  cpus,
  timeoutMs = 10_000,
}) {
  const [allPort, splitPort] = [await freePort(host), await freePort(host)];
  const render = (prefix) => config({ prefix, host, workers, stablePort, canaryPort, allPort, splitPort });
  const nginx = await run({ binary, host, ports: [allPort, splitPort], render, cpus, timeoutMs });
  return { ...nginx, allUrl: `http://${host}:${allPort}/`, splitUrl: `http://${host}:${splitPort}/` };
}

/**
 * nginx as the benchmark's upstream: `workers` worker processes answering every request with 200 and a fixed
 * small JSON body from memory (`return 200`), so the upstream is far from being the bottleneck.
 * Returns {port, url, pids(), stop(), kill(), errorLog()}.
 */
export async function startNginxUpstream({
  binary,
  host,
  workers,
  version = "stable",
  cpus,
  timeoutMs = 10_000,
}) {
  const port = await freePort(host);
  const body = JSON.stringify({ version, ok: true });
  const render = (prefix) => `
worker_processes ${workers};
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 30s;
  server {
    listen ${host}:${port};
    location / { default_type application/json; return 200 '${body}'; }
  }
}
`;
  const nginx = await run({ binary, host, ports: [port], render, cpus, timeoutMs });
  return { ...nginx, port, url: `http://${host}:${port}/` };
}

/** `[program, argv]` running `binary argv` pinned to `cpus` by taskset (which execs it: same pid), or as is. */
export function pinned(cpus, binary, argv) {
  return cpus === undefined ? [binary, argv] : ["taskset", ["-c", cpus, binary, ...argv]];
}

async function run({ binary, host, ports, render, cpus, timeoutMs }) {
  const prefix = mkdtempSync(join(tmpdir(), "tandem-bench-nginx-"));
  mkdirSync(join(prefix, "tmp"));
  const conf = join(prefix, "nginx.conf");
  writeFileSync(conf, render(prefix));
  const child = spawn(...pinned(cpus, binary, ["-p", prefix, "-c", conf]), {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000);
  });
  const errorLog = () => {
    try {
      return readFileSync(join(prefix, "error.log"), "utf8").slice(-4000);
    } catch {
      return "";
    }
  };
  const kill = () => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
    rmSync(prefix, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  const allAccept = async () => {
    for (const port of ports) if (!(await accepts(host, port))) return false;
    return true;
  };
  while (!(await allAccept())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      kill();
      throw new Error(`nginx did not start (exit ${child.exitCode}): ${stderr}${errorLog()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  let workerPids = childrenOf(child.pid);
  return {
    pids: () => {
      if (workerPids.length === 0) workerPids = childrenOf(child.pid);
      return [child.pid, ...workerPids];
    },
    workerCount: () => workerPids.length,
    errorLog,
    kill,
    /** Fast shutdown (SIGTERM), then SIGKILL for whatever is left after a second. */
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1000))]);
      }
      kill();
    },
  };
}
