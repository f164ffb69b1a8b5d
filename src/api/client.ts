import type { DeliveryReport } from "../analytics/types.js";
import type { AuditEntry, AuditFilter } from "../audit/types.js";
import type { AuditVerdict } from "../audit/verify.js";
import type {
  ActionOptions,
  Promotion,
  ReleaseAction,
  ReleaseCreation,
  ReportQuery,
  RollbackOutcome,
  RollbackRequest,
  TandemClient,
} from "../client.js";
import { type ErrorCode, TandemError } from "../core/errors.js";
import type { ReleaseCommand, ReleaseState, TandemEvent, VersionMetadata } from "../core/types.js";
import type { ReleasePlan } from "../engine/plan-view.js";
import type { WhereEntry } from "../orchestrator-where.js";
import type { RegistryView } from "../registry/view.js";
import type { OutboxDelivery } from "../store/types.js";
import type { TokenView } from "./tokens.js";

const KNOWN = new Set<string>([
  "TANDEM_ERR_CONFIG",
  "TANDEM_ERR_CONFIG_NOT_FOUND",
  "TANDEM_ERR_ENV_MISSING",
  "TANDEM_ERR_UNKNOWN_TYPE",
  "TANDEM_ERR_CAS_CONFLICT",
  "TANDEM_ERR_NOT_FOUND",
  "TANDEM_ERR_RELEASE_ACTIVE",
  "TANDEM_ERR_INVALID_REQUEST",
  "TANDEM_ERR_NOT_ALLOWED",
  "TANDEM_ERR_TARGET",
  "TANDEM_ERR_ROUTER",
  "TANDEM_ERR_PROBE",
  "TANDEM_ERR_STORE",
  "TANDEM_ERR_STORE_CORRUPT",
  "TANDEM_ERR_STORE_FULL",
  "TANDEM_ERR_STORE_READONLY",
  "TANDEM_ERR_LEASE",
  "TANDEM_ERR_NOTIFY_FAILED",
  "TANDEM_ERR_WEBHOOK_VERIFY",
  "TANDEM_ERR_UNAUTHENTICATED",
  "TANDEM_ERR_FORBIDDEN",
  "TANDEM_ERR_LIMIT",
  "TANDEM_ERR_BUSY",
]);

/**
 * A small client of the HTTP API (`tandem --server URL`, a dashboard, scripts). An error answer
 * becomes a TandemError with the server's code, so callers handle it like a local one.
 */
export class ApiClient implements TandemClient {
  private readonly base: string;

  constructor(
    server: string,
    private readonly token: string | undefined,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.base = server.replace(/\/+$/, "");
  }

  async request<T>(
    method: "GET" | "POST" | "DELETE",
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      throw new TandemError("TANDEM_ERR_STORE", `cannot reach the tandem server at ${this.base}`, {
        cause: error,
        hint: "is `tandem serve` running there? (--server or TANDEM_SERVER)",
      });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string; hint?: string } } | undefined)
        ?.error;
      const code = (error?.code && KNOWN.has(error.code) ? error.code : "TANDEM_ERR_STORE") as ErrorCode;
      throw new TandemError(code, error?.message ?? `the server answered ${response.status}`, {
        hint:
          error?.hint ??
          (response.status === 401 ? "set TANDEM_TOKEN to a token from `tandem token create`" : undefined),
      });
    }
    return json as T;
  }

  now(): number {
    return Date.now();
  }

  /** `drive` is the local transport's: the server drives every release itself. */
  createRelease(request: ReleaseCreation) {
    const { services, environment, overrideFreeze } = request;
    return this.request<ReleaseState>(
      "POST",
      "/api/v1/releases",
      clean({ services, environment, overrideFreeze }),
    );
  }

  /** The server drives every unfinished release of its project (src/api/driver.ts). */
  async isDriven(_releaseId: string): Promise<boolean> {
    return true;
  }

  release(id: string) {
    return this.request<ReleaseState>("GET", `/api/v1/releases/${encodeURIComponent(id)}`);
  }

  releases(query: { active?: boolean; environment?: string; service?: string; limit?: number } = {}) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const qs = params.toString();
    return this.request<ReleaseState[]>("GET", `/api/v1/releases${qs ? `?${qs}` : ""}`);
  }

  events(id: string, after?: number) {
    const qs = after === undefined ? "" : `?after=${after}`;
    return this.request<TandemEvent[]>("GET", `/api/v1/releases/${encodeURIComponent(id)}/events${qs}`);
  }

  /** approve and reject take the reason as their `comment`; `force` is resume's. */
  act(id: string, action: ReleaseAction, options: ActionOptions) {
    const body =
      action === "approve" || action === "reject"
        ? { service: options.service, comment: options.reason }
        : {
            service: options.service,
            reason: options.reason,
            force: action === "resume" ? options.force : undefined,
          };
    return this.request<ReleaseCommand>(
      "POST",
      `/api/v1/releases/${encodeURIComponent(id)}/${action}`,
      clean(body),
    );
  }

  promote(id: string, request: Promotion) {
    return this.request<ReleaseState>(
      "POST",
      `/api/v1/releases/${encodeURIComponent(id)}/promote`,
      clean({ to: request.to, overrideFreeze: request.overrideFreeze }),
    );
  }

  rollbackService(request: RollbackRequest) {
    const { service, environment, to, reason } = request;
    return this.request<RollbackOutcome>(
      "POST",
      "/api/v1/rollback",
      clean({ service, environment, to, reason }),
    );
  }

  audit(query: Record<string, string | undefined>) {
    return this.request<AuditEntry[]>("GET", `/api/v1/audit${queryString(query)}`);
  }

  /** `audit` with a filter as the store takes it (`since` sent as a date; cursors are not). */
  auditEntries(filter: AuditFilter) {
    return this.audit({
      actor: filter.actor,
      action: filter.action,
      subject: filter.subject,
      origin: filter.origin,
      since: filter.since === undefined ? undefined : new Date(filter.since).toISOString(),
      limit: filter.limit === undefined ? undefined : String(filter.limit),
    });
  }

  verifyAudit(expectHead?: string) {
    return this.request<AuditVerdict>("GET", `/api/v1/audit/verify${queryString({ expectHead })}`);
  }

  deliveryReport(query: ReportQuery) {
    const iso = (at: number | undefined) => (at === undefined ? undefined : new Date(at).toISOString());
    return this.request<DeliveryReport>(
      "GET",
      `/api/v1/report${queryString({ since: iso(query.since), until: iso(query.until), environment: query.environment, service: query.service })}`,
    );
  }

  createToken(body: {
    name: string;
    role: string;
    environments?: string[];
    expires?: string;
    actor?: string;
  }) {
    return this.request<{ token: string; record: TokenView }>("POST", "/api/v1/tokens", clean(body));
  }

  tokens() {
    return this.request<TokenView[]>("GET", "/api/v1/tokens");
  }

  revokeToken(idOrName: string) {
    return this.request<{ revoked: string }>("DELETE", `/api/v1/tokens/${encodeURIComponent(idOrName)}`);
  }

  plan(body: { services: string[]; environment?: string }) {
    return this.request<ReleasePlan>("POST", "/api/v1/plan", clean(body));
  }

  registry(environment?: string) {
    return this.request<RegistryView>("GET", `/api/v1/registry${queryString({ environment })}`);
  }

  versions(service: string) {
    return this.request<VersionMetadata[]>("GET", `/api/v1/versions${queryString({ service })}`);
  }

  publishVersion(body: {
    service: string;
    version: string;
    provides: Record<string, string>;
    requires: Record<string, string>;
  }) {
    return this.request<VersionMetadata>("POST", "/api/v1/versions", body);
  }

  notifications(query: { channel?: string; all?: boolean }) {
    const all = query.all ? "true" : undefined;
    return this.request<OutboxDelivery[]>(
      "GET",
      `/api/v1/notifications${queryString({ channel: query.channel, all })}`,
    );
  }

  deliveries(query: { channel?: string; all?: boolean }) {
    return this.notifications(query);
  }

  retryNotifications(body: { ids?: string[]; allDead?: true }) {
    return this.request<{ revived: number }>("POST", "/api/v1/notifications/retry", clean(body));
  }

  down(body: { environment?: string; force?: boolean }) {
    return this.request<{ routers: number; instances: number }>("POST", "/api/v1/down", clean(body));
  }

  where(environment?: string) {
    const qs = environment ? `?environment=${encodeURIComponent(environment)}` : "";
    return this.request<WhereEntry[]>("GET", `/api/v1/registry/where${qs}`);
  }
}

/** The body without undefined members (the API's schemas refuse nulls and unknowns). */
function clean<T extends object>(body: T): Partial<T> {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function queryString(query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : "";
}
