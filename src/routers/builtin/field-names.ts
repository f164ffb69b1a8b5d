// The header field names the fast path acts on, recognised in the raw head bytes (no string is made for a
// name): the same lists headers.ts uses for the node:http path, so both paths forward the same fields.
import { FIRST_ONLY_FIELDS, HOP_BY_HOP_FIELDS } from "./headers.js";

/** A field the proxy passes on as it is. */
export const OTHER = 0;
/** Hop-by-hop fields (RFC 9110 §7.6.1, and Expect): never forwarded. The first few are looked at. */
export const CONNECTION = 1;
export const KEEP_ALIVE = 2;
export const TRANSFER_ENCODING = 3;
export const UPGRADE = 4;
export const EXPECT = 5;
export const HOP_BY_HOP = 6;
export const LAST_HOP_BY_HOP = HOP_BY_HOP;
export const X_FORWARDED_FOR = 7;
export const X_FORWARDED_PROTO = 8;
export const X_FORWARDED_HOST = 9;
export const DATE = 10;
/** Fields kept only once: FIRST_ONLY + their bit's index in FIRST_ONLY_FIELDS. */
export const FIRST_ONLY = 16;
export const HOST = FIRST_ONLY + FIRST_ONLY_FIELDS.indexOf("host");
export const CONTENT_LENGTH = FIRST_ONLY + FIRST_ONLY_FIELDS.indexOf("content-length");

const SPECIFIC_HOP_BY_HOP: Record<string, number> = {
  connection: CONNECTION,
  "keep-alive": KEEP_ALIVE,
  "transfer-encoding": TRANSFER_ENCODING,
  upgrade: UPGRADE,
  expect: EXPECT,
};

interface Known {
  readonly lower: Uint8Array;
  readonly code: number;
}

/** Known names by their length. Every one is made of letters and "-" only (the byte compare relies on it). */
const BY_LENGTH: Known[][] = [];
function know(name: string, code: number): void {
  if (!/^[a-z-]+$/.test(name)) throw new Error(`field-names: ${name} is not letters and "-"`);
  const sameLength = BY_LENGTH[name.length] ?? [];
  sameLength.push({ lower: Buffer.from(name, "latin1"), code });
  BY_LENGTH[name.length] = sameLength;
}
for (const name of HOP_BY_HOP_FIELDS) know(name, SPECIFIC_HOP_BY_HOP[name] ?? HOP_BY_HOP);
know("x-forwarded-for", X_FORWARDED_FOR);
know("x-forwarded-proto", X_FORWARDED_PROTO);
know("x-forwarded-host", X_FORWARDED_HOST);
know("date", DATE);
for (const [index, name] of FIRST_ONLY_FIELDS.entries()) know(name, FIRST_ONLY + index);

/**
 * The code of the name in `buffer[start..end)`, case-insensitively. The name is a token (letters, digits,
 * `!#$%&'*+-.^_\`|~`): OR-ing 0x20 folds exactly the letters' case, and maps no other token byte onto a
 * lower-case letter or "-".
 */
export function fieldName(buffer: Uint8Array, start: number, end: number): number {
  const candidates = BY_LENGTH[end - start];
  if (candidates === undefined) return OTHER;
  const first = buffer[start]! | 0x20;
  for (let k = 0; k < candidates.length; k++) {
    const lower = candidates[k]!.lower;
    if (lower[0] !== first) continue;
    let i = 1;
    while (i < lower.length && (buffer[start + i]! | 0x20) === lower[i]) i++;
    if (i === lower.length) return candidates[k]!.code;
  }
  return OTHER;
}

/** Whether `buffer[start..end)` contains `lower` (lower-case letters only), ignoring case. */
export function containsLetters(buffer: Uint8Array, start: number, end: number, lower: Uint8Array): boolean {
  const last = end - lower.length;
  const first = lower[0];
  for (let i = start; i <= last; i++) {
    if ((buffer[i]! | 0x20) !== first) continue;
    let k = 1;
    while (k < lower.length && (buffer[i + k]! | 0x20) === lower[k]) k++;
    if (k === lower.length) return true;
  }
  return false;
}

/** Whether `buffer[start..end)` is exactly the bytes of `expected`. */
export function bytesEqual(buffer: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (buffer[start + i] !== expected[i]) return false;
  return true;
}
