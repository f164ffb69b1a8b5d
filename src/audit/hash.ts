import { createHash } from "node:crypto";
import type { AuditEntry } from "./types.js";

/** The prev_hash of the first entry. */
export const GENESIS_HASH = "0".repeat(64);

/**
 * JSON with object keys sorted (recursively), no whitespace, `undefined` members left out: the same
 * value always serialises to the same bytes, whatever order its keys were built in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) return "null";
    return JSON.stringify(value) ?? "null";
  }
  // Loops and concatenation, not filter/map/join: a pass can hash ten thousand entries.
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i === 0 ? "" : ",") + canonicalJson(value[i] ?? null);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = "{";
  let first = true;
  for (const key of Object.keys(record).sort()) {
    const inner = record[key];
    if (inner === undefined) continue;
    out += `${first ? "" : ","}${JSON.stringify(key)}:${canonicalJson(inner)}`;
    first = false;
  }
  return `${out}}`;
}

/** What is hashed: every field of the entry except the hash itself; an absent reason/data is null. */
export function auditPayload(entry: Omit<AuditEntry, "hash">): string {
  // canonicalJson of { seq, prev_hash, at, actor, origin, action, subject, reason, data }, written in
  // its sorted key order directly (no object to build and sort for each of thousands of entries).
  const members: [string, unknown][] = [
    ["action", entry.action],
    ["actor", entry.actor],
    ["at", entry.at],
    ["data", entry.data ?? null],
    ["origin", entry.origin],
    ["prev_hash", entry.prevHash],
    ["reason", entry.reason ?? null],
    ["seq", entry.seq],
    ["subject", entry.subject],
  ];
  let out = "{";
  for (const [key, value] of members) {
    if (value === undefined) continue;
    out += `${out === "{" ? "" : ","}"${key}":${canonicalJson(value)}`;
  }
  return `${out}}`;
}

/** sha256 (hex) of the entry's canonical serialisation. */
export function auditHash(entry: Omit<AuditEntry, "hash">): string {
  return createHash("sha256").update(auditPayload(entry)).digest("hex");
}
