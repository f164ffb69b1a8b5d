import { auditHash, GENESIS_HASH } from "./hash.js";
import type { AuditEntry, AuditHead } from "./types.js";

export type AuditProblemKind = "hash_mismatch" | "prev_hash_mismatch" | "seq_gap" | "head_mismatch";

export interface AuditProblem {
  /** The first entry found wrong (for a truncated tail: the recorded head's seq). */
  seq: number;
  kind: AuditProblemKind;
  message: string;
}

export type AuditVerdict =
  | { ok: true; count: number; head?: AuditHead }
  | { ok: false; count: number; problem: AuditProblem };

/**
 * Recomputes the chain from the first entry (entries in seq order): each hash over the entry's content,
 * each prev_hash against the previous entry, seqs 1, 2, 3… without gaps; then the last entry against the
 * head recorded beside the log (`recordedHead`); with `expectHead` (a head exported earlier, `HASH` or
 * `SEQ:HASH`) the chain must still pass through that entry, which catches a truncated tail even when
 * the recorded head was rewritten too. Stops at the first problem.
 */
export function verifyAuditChain(
  entries: Iterable<AuditEntry>,
  options: { recordedHead?: AuditHead; expectHead?: string } = {},
): AuditVerdict {
  let previous: AuditEntry | undefined;
  let count = 0;
  const expected = options.expectHead === undefined ? undefined : parseHead(options.expectHead);
  let passedExpected = false;
  for (const entry of entries) {
    const expectedSeq = (previous?.seq ?? 0) + 1;
    const expectedPrev = previous?.hash ?? GENESIS_HASH;
    if (entry.seq !== expectedSeq) {
      return fail(count, {
        seq: entry.seq,
        kind: "seq_gap",
        message:
          entry.seq > expectedSeq
            ? `entry ${entry.seq} follows entry ${expectedSeq - 1}: ${entry.seq - expectedSeq} entr${entry.seq - expectedSeq === 1 ? "y was" : "ies were"} deleted`
            : `entry ${entry.seq} is out of order after entry ${expectedSeq - 1} (inserted)`,
      });
    }
    if (entry.prevHash !== expectedPrev) {
      return fail(count, {
        seq: entry.seq,
        kind: "prev_hash_mismatch",
        message: `entry ${entry.seq} does not link to entry ${expectedSeq - 1} (prev_hash ${short(entry.prevHash)}, expected ${short(expectedPrev)}): an entry before it was deleted, replaced or inserted`,
      });
    }
    const computed = auditHash(entry);
    if (computed !== entry.hash) {
      return fail(count, {
        seq: entry.seq,
        kind: "hash_mismatch",
        message: `entry ${entry.seq} (${entry.action} ${entry.subject}) was edited: its content hashes to ${short(computed)}, stored ${short(entry.hash)}`,
      });
    }
    if (expected && entry.hash === expected.hash && (expected.seq ?? entry.seq) === entry.seq) {
      passedExpected = true;
    }
    previous = entry;
    count += 1;
  }
  const head = previous ? { seq: previous.seq, hash: previous.hash } : undefined;
  const recorded = options.recordedHead;
  if (recorded && (recorded.seq !== (head?.seq ?? 0) || (head && recorded.hash !== head.hash))) {
    return fail(count, {
      seq: recorded.seq,
      kind: "head_mismatch",
      message: `the log ends at entry ${head?.seq ?? 0} but the recorded head is entry ${recorded.seq} (${short(recorded.hash)}): entries at the end were deleted or the head was altered`,
    });
  }
  if (options.expectHead !== undefined && !passedExpected) {
    return fail(count, {
      seq: expected?.seq ?? head?.seq ?? 0,
      kind: "head_mismatch",
      message: `the expected head ${options.expectHead} is not in the log (it ends at entry ${head?.seq ?? 0}, ${short(head?.hash ?? GENESIS_HASH)}): entries at the end were deleted`,
    });
  }
  return { ok: true, count, head };
}

/** `HASH` or `SEQ:HASH`. */
function parseHead(text: string): { seq?: number; hash: string } {
  const colon = text.indexOf(":");
  return colon < 0 ? { hash: text } : { seq: Number(text.slice(0, colon)), hash: text.slice(colon + 1) };
}

function fail(count: number, problem: AuditProblem): AuditVerdict {
  return { ok: false, count, problem };
}

function short(hash: string): string {
  return hash.slice(0, 12);
}
