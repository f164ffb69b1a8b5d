/** Who made a change through which door: the CLI, the HTTP API, the engine on its own, or library code. */
export type AuditOrigin = "cli" | "api" | "engine" | "library";

export const AUDIT_ORIGINS: readonly AuditOrigin[] = ["cli", "api", "engine", "library"];

/** An audit entry before the store places it in the chain (seq, prev_hash and hash are computed there). */
export interface AuditDraft {
  /** Epoch ms, from the injected clock. */
  at: number;
  actor: string;
  origin: AuditOrigin;
  /** What happened, dotted: `release.created`, `release.approve`, `registry.stable_changed`, `token.created`. */
  action: string;
  /** What it happened to: a release id, `service@version`, `environment/service`, a token name. */
  subject: string;
  reason?: string;
  /** Details (JSON, secrets redacted before they are stored). */
  data?: Record<string, unknown>;
}

/** One link of the append-only, hash-chained audit log. */
export interface AuditEntry extends AuditDraft {
  /** 1, 2, 3… without gaps. */
  seq: number;
  /** The hash of entry seq - 1 (64 zeros for the first). */
  prevHash: string;
  /** sha256 (hex) of the canonical serialisation of this entry (see `auditHash`). */
  hash: string;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  subject?: string;
  origin?: AuditOrigin;
  /** Entries at or after this time (epoch ms). */
  since?: number;
  /** Entries with seq greater than this. */
  afterSeq?: number;
  /** Entries with seq less than this (the cursor of the next, older page). */
  beforeSeq?: number;
  /** The newest `limit` entries (still listed oldest first). */
  limit?: number;
}

/** The last entry of the chain, recorded beside it so a truncated tail is noticed. */
export interface AuditHead {
  seq: number;
  hash: string;
}

/**
 * What the audit trail needs of a store, declared here so that audit/ does not import store/ (which
 * imports these types): the store's `Store` has these methods.
 */
export interface AuditLog {
  /** Chains and writes the drafts in one transaction. */
  appendAudit(drafts: AuditDraft[]): Promise<AuditEntry[]>;
  /** Every entry, oldest first. */
  allAudit(): Promise<AuditEntry[]>;
  /** The head recorded beside the log, if any entry was written. */
  auditHead(): Promise<AuditHead | undefined>;
}
