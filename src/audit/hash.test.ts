import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { auditHash, auditPayload, canonicalJson, GENESIS_HASH } from "./hash.js";
import type { AuditEntry } from "./types.js";

const entry: Omit<AuditEntry, "hash"> = {
  seq: 1,
  prevHash: GENESIS_HASH,
  at: 1_700_000_000_000,
  actor: "alice",
  origin: "cli",
  action: "release.approve",
  subject: "20261201-0600-ab12",
  reason: "looks good",
  data: { service: "api", nested: { b: 2, a: [1, { z: true, y: null }] } },
};

describe("canonical audit hashing", () => {
  it("serialises objects with sorted keys at every depth, no whitespace, undefined members left out", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: "x" }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[3,{"e":2,"f":1}]},"b":1}',
    );
    expect(canonicalJson([undefined, 'a"b', 1.5])).toBe('[null,"a\\"b",1.5]');
  });

  it("gives the same bytes whatever order the keys were built in", () => {
    const reordered = {
      data: { nested: { a: [1, { y: null, z: true }], b: 2 }, service: "api" },
      subject: entry.subject,
      reason: entry.reason,
      action: entry.action,
      origin: entry.origin,
      actor: entry.actor,
      at: entry.at,
      prevHash: entry.prevHash,
      seq: entry.seq,
    };
    expect(auditPayload(reordered)).toBe(auditPayload(entry));
    expect(auditHash(reordered)).toBe(auditHash(entry));
  });

  it("hashes sha256 over (seq, prev_hash, at, actor, origin, action, subject, reason, data)", () => {
    const payload =
      '{"action":"release.approve","actor":"alice","at":1700000000000,' +
      '"data":{"nested":{"a":[1,{"y":null,"z":true}],"b":2},"service":"api"},' +
      `"origin":"cli","prev_hash":"${GENESIS_HASH}","reason":"looks good","seq":1,"subject":"20261201-0600-ab12"}`;
    expect(auditPayload(entry)).toBe(payload);
    expect(auditHash(entry)).toBe(createHash("sha256").update(payload).digest("hex"));
  });

  it("changes when any hashed field changes, and treats absent reason/data as null", () => {
    const base = auditHash(entry);
    const variants: Array<Partial<AuditEntry>> = [
      { seq: 2 },
      { prevHash: "1".repeat(64) },
      { at: entry.at + 1 },
      { actor: "bob" },
      { origin: "api" },
      { action: "release.reject" },
      { subject: "other" },
      { reason: "looks bad" },
      { data: { service: "web" } },
    ];
    for (const change of variants) expect(auditHash({ ...entry, ...change })).not.toBe(base);
    const { reason: _r, data: _d, ...bare } = entry;
    expect(auditPayload(bare)).toContain('"data":null');
    expect(auditPayload(bare)).toContain('"reason":null');
  });
});
