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
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(",")}]`;
  const members = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${members.join(",")}}`;
}

/** What is hashed: every field of the entry except the hash itself; an absent reason/data is null. */
export function auditPayload(entry: Omit<AuditEntry, "hash">): string {
  return canonicalJson({
    seq: entry.seq,
    prev_hash: entry.prevHash,
    at: entry.at,
    actor: entry.actor,
    origin: entry.origin,
    action: entry.action,
    subject: entry.subject,
    reason: entry.reason ?? null,
    data: entry.data ?? null,
  });
}

/** sha256 (hex) of the entry's canonical serialisation. */
export function auditHash(entry: Omit<AuditEntry, "hash">): string {
  return createHash("sha256").update(auditPayload(entry)).digest("hex");
}
