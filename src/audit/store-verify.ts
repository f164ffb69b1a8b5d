import type { AuditLog } from "./types.js";
import { type AuditVerdict, verifyAuditChain } from "./verify.js";

/** Verifies the store's whole audit chain against its recorded head (and an exported one, if given). */
export async function verifyStoredAudit(
  store: Pick<AuditLog, "allAudit" | "auditHead">,
  options: { expectHead?: string } = {},
): Promise<AuditVerdict> {
  const [entries, recordedHead] = await Promise.all([store.allAudit(), store.auditHead()]);
  return verifyAuditChain(entries, { recordedHead, expectHead: options.expectHead });
}
