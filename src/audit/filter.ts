import { normalizeActor } from "../core/actor.js";
import { TandemError } from "../core/errors.js";
import { checkInstant, checkPageSize, LIMITS } from "../core/limits.js";
import { parseWhen } from "../core/when.js";
import { AUDIT_ORIGINS, type AuditFilter, type AuditOrigin } from "./types.js";

/** Filters as a person writes them: `tandem audit` flags or the API's query parameters. */
export interface AuditFilterText {
  actor?: string;
  action?: string;
  release?: string;
  subject?: string;
  /** A duration back from now (24h) or a date. */
  since?: string;
  origin?: string;
  limit?: string;
  /** The cursor of an older page: entries with a seq below this. */
  before?: string;
}

/**
 * Checks and converts the filters; a bad one is a TANDEM_ERR_INVALID_REQUEST naming it as the caller
 * wrote it (`prefix` "--" for CLI flags, "" for query parameters).
 */
export function auditFilter(text: AuditFilterText, now: number, prefix = "--"): AuditFilter {
  const name = (field: string) => `${prefix}${field}`;
  if (text.release !== undefined && text.subject !== undefined && text.release !== text.subject) {
    throw invalid(`${name("release")} and ${name("subject")} name different subjects`, "pass one of them");
  }
  if (text.origin !== undefined && !AUDIT_ORIGINS.includes(text.origin as AuditOrigin)) {
    throw invalid(
      `${name("origin")} "${text.origin}" is not an origin`,
      `one of ${AUDIT_ORIGINS.join(", ")}`,
    );
  }
  const limit = text.limit === undefined ? 100 : Number(text.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    throw invalid(
      `${name("limit")} "${text.limit}" is not a positive whole number`,
      `e.g. ${name("limit")} 50`,
    );
  }
  checkPageSize(name("limit"), limit, 100, LIMITS.maxAuditPage);
  const before = text.before === undefined ? undefined : Number(text.before);
  if (before !== undefined && (!Number.isSafeInteger(before) || before < 1)) {
    throw invalid(`${name("before")} "${text.before}" is not an entry's seq`, "use the cursor of a page");
  }
  const since =
    text.since === undefined
      ? undefined
      : checkInstant(name("since"), parseWhen(name("since"), text.since, now));
  return {
    actor: text.actor === undefined ? undefined : normalizeActor(text.actor),
    action: text.action,
    subject: text.release ?? text.subject,
    origin: text.origin as AuditOrigin | undefined,
    since,
    limit,
    ...(before === undefined ? {} : { beforeSeq: before }),
  };
}

function invalid(message: string, hint: string): TandemError {
  return new TandemError("TANDEM_ERR_INVALID_REQUEST", message, { hint });
}
