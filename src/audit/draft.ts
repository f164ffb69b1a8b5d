import { mapStrings } from "../config/merge.js";
import { redactSecrets, restoreEnvPlaceholders, secretsKnown } from "../config/redact.js";
import { normalizeActor } from "../core/actor.js";
import { TandemError } from "../core/errors.js";
import { AUDIT_ORIGINS, type AuditDraft } from "./types.js";

/**
 * What is stored of a draft: the actor normalised (`normalizeActor`), secrets become their placeholder
 * (`${secret:NAME}`, or the `${env:NAME}` a credential was read from) or `***`, data goes through JSON
 * once (so what is hashed is what is read back), empty reason/data are left out.
 */
export function sanitizeDraft(draft: AuditDraft): AuditDraft {
  return sanitizeDraftWithJson(draft).draft;
}

/**
 * `sanitizeDraft`, with the JSON its data went through (undefined without data): what the store
 * writes, so the data is not serialised a second time.
 */
export function sanitizeDraftWithJson(draft: AuditDraft): { draft: AuditDraft; dataJson?: string } {
  if (!AUDIT_ORIGINS.includes(draft.origin)) {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `unknown audit origin "${draft.origin}"`, {
      hint: `one of ${AUDIT_ORIGINS.join(", ")}`,
    });
  }
  if (!Number.isFinite(draft.at)) {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", "an audit entry needs a time (`at`)");
  }
  // No secret known: scrubbing changes nothing, so the data is not copied string by string first.
  const scrub = secretsKnown() ? (text: string) => redactSecrets(restoreEnvPlaceholders(text)) : undefined;
  const reason =
    draft.reason === undefined || draft.reason === "" ? undefined : (scrub?.(draft.reason) ?? draft.reason);
  const json =
    draft.data === undefined ? undefined : JSON.stringify(scrub ? mapStrings(draft.data, scrub) : draft.data);
  const data = json === undefined ? undefined : (JSON.parse(json) as Record<string, unknown>);
  const kept = data !== undefined && Object.keys(data).length > 0;
  const clean: AuditDraft = {
    at: Math.trunc(draft.at),
    actor: normalizeActor(scrub?.(draft.actor) ?? draft.actor),
    origin: draft.origin,
    action: draft.action,
    subject: scrub?.(draft.subject) ?? draft.subject,
  };
  if (reason !== undefined) clean.reason = reason;
  if (kept) clean.data = data;
  return kept ? { draft: clean, dataJson: json } : { draft: clean };
}
