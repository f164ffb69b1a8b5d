/** The audit trail: every change, who made it, when, through which door and why, hash-chained. */
export { sanitizeDraft } from "./draft.js";
export {
  type AuditSource,
  commandEntry,
  ENGINE_ACTOR,
  engineEntries,
  notificationRetryEntry,
  releaseCreatedEntry,
  versionEntry,
} from "./entries.js";
export { auditHash, auditPayload, canonicalJson, GENESIS_HASH } from "./hash.js";
export { type AuditRecord, AuditRecorder } from "./recorder.js";
export { verifyStoredAudit } from "./store-verify.js";
export type * from "./types.js";
export { AUDIT_ORIGINS } from "./types.js";
export { type AuditProblem, type AuditProblemKind, type AuditVerdict, verifyAuditChain } from "./verify.js";
