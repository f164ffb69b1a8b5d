import type { Clock } from "../core/clock.js";
import { systemClock } from "../core/clock.js";
import type { AuditEntry, AuditLog, AuditOrigin } from "./types.js";

export interface AuditRecord {
  actor: string;
  origin: AuditOrigin;
  /** Dotted, e.g. `token.created`, `token.revoked`. */
  action: string;
  /** A release id, `service@version`, a token name… */
  subject: string;
  reason?: string;
  /** Details; secrets from the environment are redacted before they are stored. */
  data?: Record<string, unknown>;
}

/**
 * Appends audit entries for changes that are not written by the store methods that take `audit`
 * drafts themselves (tokens created or revoked, settings…). Each call is one transaction; the time
 * comes from the injected clock.
 */
export class AuditRecorder {
  constructor(
    private readonly store: Pick<AuditLog, "appendAudit">,
    private readonly clock: Clock = systemClock,
  ) {}

  async record(record: AuditRecord): Promise<AuditEntry> {
    const [entry] = await this.store.appendAudit([{ ...record, at: this.clock.now() }]);
    return entry!;
  }
}
