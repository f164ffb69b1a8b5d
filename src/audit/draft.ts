import { mapStrings } from "../config/merge.js";
import { redactSecrets, restoreEnvPlaceholders } from "../config/redact.js";
import { normalizeActor } from "../core/actor.js";
import { TandemError } from "../core/errors.js";
import { AUDIT_ORIGINS, type AuditDraft } from "./types.js";

/**
 * What is stored of a draft: the actor normalised (`normalizeActor`), secrets become their placeholder
 * (`${secret:NAME}`, or the `${env:NAME}` a credential was read from) or `***`, data goes through JSON
 * once (so what is hashed is what is read back), empty reason/data are left out.
 */
export function sanitizeDraft(draft: AuditDraft): AuditDraft {
  if (!AUDIT_ORIGINS.includes(draft.origin)) {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `unknown audit origin "${draft.origin}"`, {
      hint: `one of ${AUDIT_ORIGINS.join(", ")}`,
    });
  }
  if (!Number.isFinite(draft.at)) {
    throw new TandemError("TANDEM_ERR_INVALID_REQUEST", "an audit entry needs a time (`at`)");
  }
  const scrub = (text: string) => redactSecrets(restoreEnvPlaceholders(text));
  const reason = draft.reason === undefined || draft.reason === "" ? undefined : scrub(draft.reason);
  const data =
    draft.data === undefined
      ? undefined
      : (JSON.parse(JSON.stringify(mapStrings(draft.data, scrub))) as Record<string, unknown>);
  return {
    at: Math.trunc(draft.at),
    actor: normalizeActor(scrub(draft.actor)),
    origin: draft.origin,
    action: draft.action,
    subject: scrub(draft.subject),
    ...(reason === undefined ? {} : { reason }),
    ...(data === undefined || Object.keys(data).length === 0 ? {} : { data }),
  };
}
