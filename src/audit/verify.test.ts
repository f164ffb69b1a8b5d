import { describe, expect, it } from "vitest";
import { auditHash, GENESIS_HASH } from "./hash.js";
import type { AuditEntry } from "./types.js";
import { verifyAuditChain } from "./verify.js";

function chain(count: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let seq = 1; seq <= count; seq++) {
    const draft = {
      seq,
      prevHash: entries.at(-1)?.hash ?? GENESIS_HASH,
      at: 1000 * seq,
      actor: seq % 2 ? "alice" : "bob",
      origin: "cli" as const,
      action: "release.approve",
      subject: `r${seq}`,
      reason: `reason ${seq}`,
    };
    entries.push({ ...draft, hash: auditHash(draft) });
  }
  return entries;
}

const headOf = (entries: AuditEntry[]) => ({ seq: entries.at(-1)!.seq, hash: entries.at(-1)!.hash });

describe("verifyAuditChain", () => {
  it("accepts an intact chain (and an empty one) with its count and head", () => {
    const entries = chain(5);
    expect(verifyAuditChain(entries, { recordedHead: headOf(entries) })).toEqual({
      ok: true,
      count: 5,
      head: headOf(entries),
    });
    expect(verifyAuditChain([])).toEqual({ ok: true, count: 0, head: undefined });
  });

  it("names the first edited entry: its content no longer hashes to its hash", () => {
    const entries = chain(5);
    entries[2] = { ...entries[2]!, reason: "edited" };
    const verdict = verifyAuditChain(entries);
    expect(verdict).toMatchObject({ ok: false, count: 2, problem: { seq: 3, kind: "hash_mismatch" } });
  });

  it("an edit that recomputes the entry's hash breaks the link of the next one", () => {
    const entries = chain(5);
    const edited = { ...entries[2]!, reason: "edited" };
    entries[2] = { ...edited, hash: auditHash(edited) };
    expect(verifyAuditChain(entries)).toMatchObject({
      ok: false,
      problem: { seq: 4, kind: "prev_hash_mismatch" },
    });
  });

  it("a deleted entry in the middle is a seq gap; the first one deleted is one too", () => {
    const entries = chain(5);
    expect(verifyAuditChain([...entries.slice(0, 2), ...entries.slice(3)])).toMatchObject({
      ok: false,
      problem: { seq: 4, kind: "seq_gap" },
    });
    expect(verifyAuditChain(entries.slice(1))).toMatchObject({
      ok: false,
      problem: { seq: 2, kind: "seq_gap" },
    });
  });

  it("a deleted entry renumbered to close the gap breaks the link", () => {
    const entries = chain(4);
    const renumbered = { ...entries[3]!, seq: 3 };
    expect(
      verifyAuditChain([entries[0]!, entries[1]!, { ...renumbered, hash: auditHash(renumbered) }]),
    ).toMatchObject({ ok: false, problem: { seq: 3, kind: "prev_hash_mismatch" } });
  });

  it("a truncated tail is caught by the recorded head, or by a head exported earlier", () => {
    const entries = chain(5);
    const truncated = entries.slice(0, 3);
    expect(verifyAuditChain(truncated)).toMatchObject({ ok: true, count: 3 });
    expect(verifyAuditChain(truncated, { recordedHead: headOf(entries) })).toMatchObject({
      ok: false,
      problem: { seq: 5, kind: "head_mismatch" },
    });
    const exported = `${entries[3]!.seq}:${entries[3]!.hash}`;
    expect(verifyAuditChain(truncated, { expectHead: exported })).toMatchObject({
      ok: false,
      problem: { kind: "head_mismatch" },
    });
    // The log grew after the export: the exported head is still in it.
    expect(verifyAuditChain(entries, { expectHead: exported })).toMatchObject({ ok: true, count: 5 });
    expect(verifyAuditChain(entries, { expectHead: entries[3]!.hash })).toMatchObject({ ok: true });
  });
});
