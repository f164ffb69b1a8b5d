import { isIP } from "node:net";
import { join } from "node:path";
import { RouterError } from "../../core/errors.js";
import type { RouteEndpoint, RouteTable } from "../types.js";

/** Everything besides the route table that goes into a service's nginx.conf. */
export interface NginxConfigSettings {
  /** `project/environment/service`, written into a comment. */
  name: string;
  /** The prefix directory (`nginx -p`): pid file, logs and temp paths live under it. */
  prefix: string;
  host: string;
  listen: number;
  previewListen?: number;
  /** The loopback port of the admin server (generation and stub_status). */
  adminPort: number;
  workerProcesses: number | "auto";
  /** nginx keepalive_timeout for clients, in milliseconds; 0 closes every connection after its response. */
  clientKeepaliveMs: number;
  /** Increases with every applied table; the admin server answers it, so a reload can be verified. */
  generation: number;
}

/** Where the router writes its access log, relative to the prefix. */
export const ACCESS_LOG = "logs/access.log";
export const ERROR_LOG = "logs/error.log";
export const PID_FILE = "nginx.pid";
export const GENERATION_PATH = "/tandem/generation";
export const STATUS_PATH = "/tandem/status";

/** Characters nginx reads literally inside a double-quoted string (no `$` variables, no escapes). */
const SAFE_VERSION = /^[A-Za-z0-9._+~:@/-]+$/;
/** A host name or address; anything that could end the directive or start a block is refused. */
const SAFE_HOST = /^[A-Za-z0-9._:[\]-]+$/;

/**
 * The nginx.conf of one service: a split of the requests by weight across one upstream per version
 * (split_clients on `$request_id`, random per request), retries of idempotent requests on the next
 * endpoint, keep-alive to the endpoints, a per-version access log, and a loopback-only admin server.
 * Pure: the same table and settings always give the same text.
 */
export function renderNginxConfig(table: RouteTable, settings: NginxConfigSettings): string {
  const at = (path: string) => quote(join(settings.prefix, path));
  const routed = table.backends.filter((b) => b.weight > 0);
  const lines: string[] = [
    `# Written by Tandem for ${settings.name}, generation ${settings.generation}. Do not edit: the next`,
    "# route table change replaces this file.",
    `worker_processes ${settings.workerProcesses};`,
    `pid ${at(PID_FILE)};`,
    `error_log ${at(ERROR_LOG)} warn;`,
    "worker_shutdown_timeout 60s;",
    "events { worker_connections 4096; }",
    "http {",
    `  client_body_temp_path ${at("temp/client_body")};`,
    `  proxy_temp_path ${at("temp/proxy")};`,
    `  fastcgi_temp_path ${at("temp/fastcgi")};`,
    `  uwsgi_temp_path ${at("temp/uwsgi")};`,
    `  scgi_temp_path ${at("temp/scgi")};`,
    "  server_tokens off;",
    `  keepalive_timeout ${Math.round(settings.clientKeepaliveMs)}ms;`,
    "  access_log off;",
    "  log_format tandem escape=json",
    `    '{"v":"$tandem_version","s":$status,"t":$request_time,"u":"$upstream_addr"}';`,
    ...splitBlock(
      "$tandem_backend",
      // A version with a weight but no endpoint yet gets its share of requests answered with 503.
      routed.map((b) => ({
        weight: b.weight,
        value: b.endpoints.length > 0 ? upstreamName(table, b.version) : "none",
      })),
    ),
    "  map $tandem_backend $tandem_version {",
    '    default "";',
    ...table.backends.map(
      (b) => `    ${upstreamName(table, b.version)} ${quote(checkedVersion(b.version))};`,
    ),
    "  }",
    ...table.backends.flatMap((b) => upstreamBlock(upstreamName(table, b.version), b.endpoints)),
    ...trafficServer(settings.host, settings.listen, "$tandem_backend", at(ACCESS_LOG)),
  ];
  if (settings.previewListen !== undefined) {
    const preview = table.preview;
    lines.push(
      ...(preview
        ? [
            "  map $host $tandem_preview {",
            `    default ${preview.endpoints.length > 0 ? "tandem_preview" : "none"};`,
            "  }",
            ...upstreamBlock("tandem_preview", preview.endpoints),
          ]
        : ["  map $host $tandem_preview {", "    default none;", "  }"]),
      ...trafficServer(settings.host, settings.previewListen, "$tandem_preview", "off"),
    );
  }
  lines.push(
    "  server {",
    `    listen 127.0.0.1:${settings.adminPort};`,
    `    location = ${GENERATION_PATH} { default_type text/plain; return 200 "${settings.generation}\\n"; }`,
    `    location = ${STATUS_PATH} { stub_status; }`,
    "    location / { return 404; }",
    "  }",
    "}",
  );
  return `${lines.join("\n")}\n`;
}

/** Upstream names are positional (versions may hold characters an nginx name may not). */
function upstreamName(table: RouteTable, version: string): string {
  return `tandem_v${table.backends.findIndex((b) => b.version === version)}`;
}

/**
 * `split_clients` percentages for the weights (0 < weight, summing to 100): every version but the
 * last gets its share rounded to nginx's two decimals, the last takes the rest (`*`). No routed
 * version: every request maps to `none`, which the server answers with 503.
 */
export function splitBlock(variable: string, shares: Array<{ weight: number; value: string }>): string[] {
  const entries = shares.map((share, index) =>
    index === shares.length - 1
      ? `    * ${share.value};`
      : `    ${formatPercent(share.weight)}% ${share.value};`,
  );
  if (entries.length === 0) entries.push("    * none;");
  return [`  split_clients "$request_id" ${variable} {`, ...entries, "  }"];
}

function formatPercent(weight: number): string {
  return String(Math.round(weight * 100) / 100);
}

function upstreamBlock(name: string, endpoints: RouteEndpoint[]): string[] {
  if (endpoints.length === 0) return [];
  return [
    `  upstream ${name} {`,
    // max_fails=0: a failed endpoint is retried by the next request rather than marked down for all.
    ...endpoints.map((e) => `    server ${hostPort(e)} max_fails=0; # ${sanitizeComment(e.id)}`),
    `    keepalive ${Math.max(8, endpoints.length * 8)};`,
    "  }",
  ];
}

function trafficServer(host: string, port: number, variable: string, accessLog: string): string[] {
  return [
    "  server {",
    `    listen ${listenAddress(host, port)};`,
    `    access_log ${accessLog}${accessLog === "off" ? "" : " tandem"};`,
    "    location / {",
    `      if (${variable} = none) { return 503; }`,
    `      proxy_pass http://${variable};`,
    "      proxy_http_version 1.1;",
    '      proxy_set_header Connection "";',
    "      proxy_set_header Host $http_host;",
    "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "      proxy_set_header X-Request-Id $request_id;",
    // Only idempotent requests move to the next endpoint (nginx's default without non_idempotent).
    "      proxy_next_upstream error timeout http_502;",
    "      proxy_next_upstream_tries 0;",
    "      proxy_next_upstream_timeout 10s;",
    "      proxy_connect_timeout 2s;",
    "    }",
    "  }",
  ];
}

function listenAddress(host: string, port: number): string {
  const checked = checkedHost(host);
  return isIP(checked) === 6 ? `[${checked}]:${port}` : `${checked}:${port}`;
}

function hostPort(endpoint: RouteEndpoint): string {
  const host = checkedHost(endpoint.host);
  return isIP(host) === 6 ? `[${host}]:${endpoint.port}` : `${host}:${endpoint.port}`;
}

function checkedHost(host: string): string {
  if (!SAFE_HOST.test(host)) {
    throw new RouterError(`host "${host}" cannot be written into an nginx configuration`, {
      hint: "use an IP address or a host name of letters, digits, dots and dashes",
    });
  }
  return host;
}

function checkedVersion(version: string): string {
  if (!SAFE_VERSION.test(version)) {
    throw new RouterError(`version "${version}" cannot be written into an nginx configuration`, {
      hint: "the nginx router takes versions of letters, digits and . _ + ~ : @ / -",
    });
  }
  return version;
}

function quote(text: string): string {
  return `"${text.replace(/["\\]/g, "\\$&")}"`;
}

function sanitizeComment(text: string): string {
  return text.replace(/[\r\n]/g, " ");
}
