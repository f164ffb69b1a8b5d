import { userInfo } from "node:os";
import type { AuditOrigin } from "./audit/types.js";
import { normalizeActor } from "./core/actor.js";
import type { Clock } from "./core/clock.js";
import type { TandemConfig } from "./core/config.js";
import { TandemError } from "./core/errors.js";
import type { Logger, TokenRef } from "./core/types.js";
import type { ServiceVersion } from "./engine/create-release.js";
import type { Plugins } from "./engine/engine.js";
import type { DispatcherTuning } from "./notify/notifications.js";
import { outboxRouting } from "./notify/routing.js";
import type { NotifierFactory } from "./notify/types.js";
import type { Store } from "./store/types.js";

export interface OrchestratorOptions {
  clock?: Clock;
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  plugins?: Partial<Plugins>;
  /** Use this store instead of opening the configured one (open it with `outboxRouting` for notifications). */
  store?: Store;
  passIntervalMs?: number;
  /** Makes each notification channel's Notifier. Default `createNotifier` of src/notify. */
  createNotifier?: NotifierFactory;
  /** Breaker, backoff and polling of the notification dispatcher. */
  notifications?: DispatcherTuning;
  /** The door a change is recorded as coming through when the call names none. Default "library". */
  origin?: AuditOrigin;
}

export interface ReleaseRequest {
  environment?: string;
  /** `api@2.4.0` strings or {service, version} pairs. */
  services: Array<string | ServiceVersion>;
  actor?: string;
  /** Through which door the request came, for the audit trail. Default "library". */
  origin?: AuditOrigin;
  /** Why, for the audit trail (a rollback's reason, for instance). */
  reason?: string;
  fast?: boolean;
  /** Go through a change freeze; the reason is recorded. */
  overrideFreeze?: string;
  promotedFrom?: string;
  /** Check everything, create nothing. */
  dryRun?: boolean;
  /**
   * This process drives the release next (`run`): its engine's lease is taken in the same transaction
   * as the creation, so no other engine starts it and it is never stored without a driver.
   */
  drive?: boolean;
}

export interface CommandOptions {
  actor?: string;
  /** The API token the command came with (set by the API; recorded with the command and approval). */
  token?: TokenRef;
  /** Through which door the command came, for the audit trail. Default "library". */
  origin?: AuditOrigin;
  reason?: string;
  service?: string;
}

/** The person or job acting: TANDEM_USER, else the OS user; normalised (`normalizeActor`). */
export function currentActor(env: NodeJS.ProcessEnv = process.env): string {
  return normalizeActor(env.TANDEM_USER ?? "") || normalizeActor(userInfo().username ?? "") || "unknown";
}

export function parseServiceVersion(text: string): ServiceVersion {
  const at = text.lastIndexOf("@");
  if (at <= 0 || at === text.length - 1) {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `"${text}" is not SERVICE@VERSION`, {
      hint: "write it like api@2.4.0",
    });
  }
  return { service: text.slice(0, at), version: text.slice(at + 1) };
}

/** Store options: the configured store fills the notification outbox for the configured channels. */
export function storeOptions(config: TandemConfig) {
  return { outbox: outboxRouting(config.notifications) };
}
