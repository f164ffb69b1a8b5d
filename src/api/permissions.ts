import { TandemError } from "../core/errors.js";
import type { TokenRecord, TokenRole } from "../store/types.js";

/**
 * What each route needs. Every route the API serves is listed here (the server refuses to start with
 * one that is not, and the role-matrix test walks this table):
 * - `public`: no token (health check, the OpenAPI document, the dashboard's page and assets);
 * - `read`: any valid token;
 * - `deploy`: deployer or admin; `approve`: approver or admin; `admin`: admin only.
 * `environment` says which environments a token limited to some (`--environment`) must cover
 * (src/api/scope.ts checks it once the body is parsed); absent: none (reads):
 * - `release`: the environment of the release named in the path;
 * - `body`: the request's `environment` (default: the project's first);
 * - `promote`: both the source release's environment and the one it is promoted into;
 * - `project`: a project-wide operation: only a token for all environments may;
 * - `body-or-project`: the request's `environment` if it names one, else project-wide.
 */
export type Permission = "public" | "read" | "deploy" | "approve" | "admin";

export type EnvironmentScope = "release" | "body" | "promote" | "project" | "body-or-project";

export interface RoutePermission {
  method: "GET" | "POST" | "DELETE";
  url: string;
  permission: Permission;
  environment?: EnvironmentScope;
  summary: string;
  /** Not an API route: left out of the OpenAPI document (health check, the dashboard's files). */
  hidden?: true;
}

export const API_PREFIX = "/api/v1";

export const ROUTES: readonly RoutePermission[] = [
  { method: "GET", url: "/healthz", permission: "public", summary: "liveness", hidden: true },
  { method: "GET", url: "/", permission: "public", summary: "the web dashboard's page", hidden: true },
  {
    method: "GET",
    url: "/assets/*",
    permission: "public",
    summary: "the web dashboard's scripts and styles",
    hidden: true,
  },
  {
    method: "GET",
    url: `${API_PREFIX}/openapi.json`,
    permission: "public",
    summary: "this API's OpenAPI 3 document",
  },
  { method: "GET", url: "/metrics", permission: "read", summary: "Prometheus metrics" },
  {
    method: "GET",
    url: `${API_PREFIX}/whoami`,
    permission: "read",
    summary: "the token's identity and role",
  },
  {
    method: "GET",
    url: `${API_PREFIX}/releases`,
    permission: "read",
    summary: "list releases, newest first",
  },
  {
    method: "POST",
    url: `${API_PREFIX}/releases`,
    permission: "deploy",
    environment: "body",
    summary: "create a release (tandem deploy)",
  },
  {
    method: "GET",
    url: `${API_PREFIX}/releases/:id`,
    permission: "read",
    summary: "a release with its rollouts and steps",
  },
  {
    method: "GET",
    url: `${API_PREFIX}/releases/:id/events`,
    permission: "read",
    summary: "a release's events",
  },
  {
    method: "POST",
    url: `${API_PREFIX}/releases/:id/approve`,
    permission: "approve",
    environment: "release",
    summary: "approve the open gate",
  },
  {
    method: "POST",
    url: `${API_PREFIX}/releases/:id/reject`,
    permission: "approve",
    environment: "release",
    summary: "reject the open gate",
  },
  {
    method: "POST",
    url: `${API_PREFIX}/releases/:id/abort`,
    permission: "deploy",
    environment: "release",
    summary: "abort a release",
  },
  {
    method: "POST",
    url: `${API_PREFIX}/releases/:id/resume`,
    permission: "deploy",
    environment: "release",
    summary: "continue past a pause",
  },
  {
    method: "POST",
    url: `${API_PREFIX}/releases/:id/promote`,
    permission: "deploy",
    environment: "promote",
    summary: "release the same versions into the next environment",
  },
  {
    method: "POST",
    url: `${API_PREFIX}/rollback`,
    permission: "deploy",
    environment: "body",
    summary: "roll a service back (tandem rollback)",
  },
  {
    method: "POST",
    url: `${API_PREFIX}/plan`,
    permission: "read",
    summary: "the release DAG a request would create (dry run)",
  },
  {
    method: "POST",
    url: `${API_PREFIX}/validate`,
    permission: "read",
    summary: "check a release request without creating it",
  },
  {
    method: "GET",
    url: `${API_PREFIX}/registry`,
    permission: "read",
    summary: "stable versions and requirements per environment",
  },
  {
    method: "GET",
    url: `${API_PREFIX}/registry/where`,
    permission: "read",
    summary: "what runs where: instances and routers",
  },
  {
    method: "GET",
    url: `${API_PREFIX}/registry/history`,
    permission: "read",
    summary: "registry history of an environment",
  },
  {
    method: "GET",
    url: `${API_PREFIX}/versions`,
    permission: "read",
    summary: "published versions of a service",
  },
  {
    method: "POST",
    url: `${API_PREFIX}/versions`,
    permission: "deploy",
    environment: "project",
    summary: "publish a version's metadata",
  },
  {
    method: "GET",
    url: `${API_PREFIX}/notifications`,
    permission: "read",
    summary: "notification deliveries (pending and dead by default)",
  },
  {
    method: "POST",
    url: `${API_PREFIX}/notifications/retry`,
    permission: "deploy",
    environment: "project",
    summary: "make dead deliveries pending again",
  },
  {
    method: "GET",
    url: `${API_PREFIX}/report`,
    permission: "read",
    summary: "delivery analytics (DORA) as JSON",
  },
  {
    method: "GET",
    url: `${API_PREFIX}/events/stream`,
    permission: "read",
    summary: "live events (Server-Sent Events)",
  },
  {
    method: "GET",
    url: `${API_PREFIX}/audit`,
    permission: "read",
    summary: "list the audit trail",
  },
  {
    method: "GET",
    url: `${API_PREFIX}/audit/verify`,
    permission: "read",
    summary: "verify the audit trail's hash chain",
  },
  {
    method: "POST",
    url: `${API_PREFIX}/down`,
    permission: "admin",
    environment: "body-or-project",
    summary: "stop the project's routers and instances",
  },
  {
    method: "POST",
    url: `${API_PREFIX}/simulate`,
    permission: "read",
    summary: "simulate a service's rollout policy",
  },
  {
    method: "GET",
    url: `${API_PREFIX}/schema`,
    permission: "read",
    summary: "the JSON Schema of tandem.yaml",
  },
  {
    method: "GET",
    url: `${API_PREFIX}/tokens`,
    permission: "admin",
    environment: "project",
    summary: "list API tokens (never the tokens themselves)",
  },
  {
    method: "POST",
    url: `${API_PREFIX}/tokens`,
    permission: "admin",
    environment: "project",
    summary: "create an API token (shown once)",
  },
  {
    method: "DELETE",
    url: `${API_PREFIX}/tokens/:id`,
    permission: "admin",
    environment: "project",
    summary: "revoke an API token (id or name)",
  },
];

const GRANTS: Record<TokenRole, ReadonlySet<Permission>> = {
  viewer: new Set(["public", "read"]),
  deployer: new Set(["public", "read", "deploy"]),
  approver: new Set(["public", "read", "approve"]),
  admin: new Set(["public", "read", "deploy", "approve", "admin"]),
};

export function routeKey(method: string, url: string): string {
  return `${method} ${url}`;
}

const TABLE = new Map(ROUTES.map((r) => [routeKey(r.method, r.url), r]));

export function routePermission(method: string, url: string): RoutePermission | undefined {
  return TABLE.get(routeKey(method, url));
}

export function roleAllows(role: TokenRole, permission: Permission): boolean {
  return GRANTS[role].has(permission);
}

/** 403 unless the token's role grants the permission. */
export function checkRole(token: TokenRecord, route: RoutePermission): void {
  if (!roleAllows(token.role, route.permission)) {
    throw new TandemError(
      "TANDEM_ERR_FORBIDDEN",
      `token "${token.name}" (role ${token.role}) may not ${route.summary}: it needs the ${route.permission} permission`,
    );
  }
}

/** 403 unless the token covers the environment (a token with no environments covers all). */
export function checkEnvironment(token: TokenRecord, environment: string): void {
  if (token.environments.length > 0 && !token.environments.includes(environment)) {
    throw new TandemError(
      "TANDEM_ERR_FORBIDDEN",
      `token "${token.name}" may not act in environment ${environment.slice(0, 64)}; it covers ${token.environments.join(", ")}`,
    );
  }
}

/** 403 unless the token is for all environments: project-wide operations (tokens, publish, down…). */
export function checkUnscoped(token: TokenRecord, route: RoutePermission): void {
  if (token.environments.length > 0) {
    throw new TandemError(
      "TANDEM_ERR_FORBIDDEN",
      `token "${token.name}" is limited to ${token.environments.join(", ")} and may not ${route.summary}: that is project-wide`,
      { hint: "use a token for all environments (created without --environment)" },
    );
  }
}

/**
 * Roles a role includes: viewer < deployer, viewer < approver, deployer and approver < admin
 * (deployer and approver do not include each other).
 */
const INCLUDES: Record<TokenRole, readonly TokenRole[]> = {
  viewer: ["viewer"],
  deployer: ["deployer", "viewer"],
  approver: ["approver", "viewer"],
  admin: ["admin", "deployer", "approver", "viewer"],
};

/** What a token may do, for comparing two tokens' power. */
export type TokenPower = Pick<TokenRecord, "role" | "environments">;

/**
 * Whether `holder` has at least the power of `other`: its role includes the other's and its
 * environments include the other's (no environments: all; a limited token never covers an unlimited one).
 */
export function covers(holder: TokenPower, other: TokenPower): boolean {
  if (!INCLUDES[holder.role].includes(other.role)) return false;
  if (holder.environments.length === 0) return true;
  return other.environments.length > 0 && other.environments.every((e) => holder.environments.includes(e));
}

/** 403 unless `holder` covers `other`: a token never creates or revokes a token with more power than its own. */
export function checkCeiling(
  holder: TokenPower & { name: string },
  what: "create" | "revoke",
  other: TokenPower & { name: string },
): void {
  if (covers(holder, other)) return;
  const power = (t: TokenPower) =>
    `${t.role} in ${t.environments.length ? t.environments.join(", ") : "all environments"}`;
  throw new TandemError(
    "TANDEM_ERR_FORBIDDEN",
    `token "${holder.name}" (${power(holder)}) may not ${what} token "${other.name.slice(0, 64)}" (${power(other)}): a token can only ${what} tokens within its own role and environments`,
  );
}
