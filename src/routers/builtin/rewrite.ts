// The fast path's heads as they go out, built byte by byte from the parsed heads' offsets (http1.ts) into one
// Buffer with the body bytes that follow: no string per field, no flat list. They carry the same fields as
// headers.ts gives the node:http path (upstreamRequestHeaders, endToEndHeaders); for the rare heads whose
// Connection field names other fields to drop, or a request without Host, these return undefined and the
// caller goes through headers.ts.
import {
  bytesEqual,
  DATE,
  FIRST_ONLY,
  HOST,
  LAST_HOP_BY_HOP,
  X_FORWARDED_FOR,
  X_FORWARDED_HOST,
  X_FORWARDED_PROTO,
} from "./field-names.js";
import type { HeadFields, RequestHead, ResponseHead } from "./http1.js";

const latin1 = (text: string) => Buffer.from(text, "latin1");
const REQUEST_LINE_END = latin1(" HTTP/1.1\r\n");
const STATUS_LINE_START = latin1("HTTP/1.1 ");
const X_FORWARDED_FOR_LINE = latin1("x-forwarded-for: ");
const X_FORWARDED_PROTO_LINE = latin1("x-forwarded-proto: ");
const X_FORWARDED_HOST_LINE = latin1("x-forwarded-host: ");
const HTTP = latin1("http");
const KEEP_ALIVE_VALUE = latin1("keep-alive");
const CLOSE_VALUE = latin1("close");

/** Indices of the fields that go out, for the head being built (one at a time). */
let kept = new Int32Array(64);

function keep(count: number, k: number): void {
  if (count === kept.length) {
    const larger = new Int32Array(kept.length * 2);
    larger.set(kept);
    kept = larger;
  }
  kept[count] = k;
}

/**
 * Whether the Connection field, if any, names nothing but the connection itself ("keep-alive" or "close",
 * as headers.ts's `withoutListed` takes them): otherwise the fields it names are dropped by headers.ts.
 */
function connectionNamesNoField(b: Uint8Array, fields: HeadFields): boolean {
  if (fields.connections === 0) return true;
  if (fields.connections > 1) return false;
  const at = fields.connection * 4;
  const start = fields.ranges[at + 2]!;
  const end = fields.ranges[at + 3]!;
  return bytesEqual(b, start, end, KEEP_ALIVE_VALUE) || bytesEqual(b, start, end, CLOSE_VALUE);
}

function put(out: Buffer, pos: number, source: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) out[pos++] = source[i]!;
  return pos;
}

function putAll(out: Buffer, pos: number, source: Uint8Array): number {
  for (let i = 0; i < source.length; i++) out[pos++] = source[i]!;
  return pos;
}

/** Writes the kept fields as "name: value\r\n" lines. */
function putFields(out: Buffer, pos: number, b: Uint8Array, fields: HeadFields, count: number): number {
  const ranges = fields.ranges;
  for (let n = 0; n < count; n++) {
    const at = kept[n]! * 4;
    pos = put(out, pos, b, ranges[at]!, ranges[at + 1]!);
    out[pos++] = 0x3a;
    out[pos++] = 0x20;
    pos = put(out, pos, b, ranges[at + 2]!, ranges[at + 3]!);
    out[pos++] = 0x0d;
    out[pos++] = 0x0a;
  }
  return pos;
}

/** The values of the fields with `code`, joined by ", " (as Node joins repeated X-Forwarded-* fields). */
function putJoined(out: Buffer, pos: number, b: Uint8Array, fields: HeadFields, code: number): number {
  const ranges = fields.ranges;
  let first = true;
  for (let k = 0; k < fields.count; k++) {
    if (fields.names[k] !== code) continue;
    if (!first) {
      out[pos++] = 0x2c;
      out[pos++] = 0x20;
    }
    first = false;
    pos = put(out, pos, b, ranges[k * 4 + 2]!, ranges[k * 4 + 3]!);
  }
  return pos;
}

/**
 * The upstream request for the head parsed from `b` (`head`) and its body `b[bodyStart..bodyEnd)`: the
 * request line as HTTP/1.1, the end-to-end fields (hop-by-hop ones dropped, the fields Node keeps once kept
 * once), then X-Forwarded-For (the client's address appended), -Proto and -Host, as upstreamRequestHeaders
 * gives them. Undefined without a Host field or with a Connection field naming other fields.
 */
export function upstreamRequest(
  b: Buffer,
  head: RequestHead,
  clientAddress: string,
  bodyStart: number,
  bodyEnd: number,
): Buffer | undefined {
  const fields = head.fields;
  if (!connectionNamesNoField(b, fields)) return undefined;
  const ranges = fields.ranges;
  const names = fields.names;
  let length = head.targetEnd + REQUEST_LINE_END.length;
  let count = 0;
  let seen = 0;
  let host = -1;
  // Lengths of the joined X-Forwarded-* values (-1: none).
  let forFields = -2;
  let protoFields = -2;
  let hostFields = -2;
  for (let k = 0; k < fields.count; k++) {
    const code = names[k]!;
    const at = k * 4;
    if (code !== 0) {
      if (code <= LAST_HOP_BY_HOP) continue;
      if (code === X_FORWARDED_FOR) {
        forFields += 2 + ranges[at + 3]! - ranges[at + 2]!;
        continue;
      }
      if (code === X_FORWARDED_PROTO) {
        protoFields += 2 + ranges[at + 3]! - ranges[at + 2]!;
        continue;
      }
      if (code === X_FORWARDED_HOST) {
        hostFields += 2 + ranges[at + 3]! - ranges[at + 2]!;
        continue;
      }
      if (code >= FIRST_ONLY) {
        const bit = 1 << (code - FIRST_ONLY);
        if (seen & bit) continue;
        seen |= bit;
        if (code === HOST) host = k;
      }
    }
    keep(count++, k);
    length += ranges[at + 1]! - ranges[at]! + ranges[at + 3]! - ranges[at + 2]! + 4;
  }
  if (host < 0) return undefined;
  const hostLength = ranges[host * 4 + 3]! - ranges[host * 4 + 2]!;
  length += X_FORWARDED_FOR_LINE.length + clientAddress.length + 2 + (forFields > 0 ? forFields + 2 : 0);
  length += X_FORWARDED_PROTO_LINE.length + (protoFields > 0 ? protoFields : HTTP.length) + 2;
  const publicHost = hostFields > 0 ? hostFields : hostLength;
  if (publicHost > 0) length += X_FORWARDED_HOST_LINE.length + publicHost + 2;
  length += 2;
  const out = Buffer.allocUnsafe(length + bodyEnd - bodyStart);
  let pos = put(out, 0, b, 0, head.targetEnd);
  pos = putAll(out, pos, REQUEST_LINE_END);
  pos = putFields(out, pos, b, fields, count);
  pos = putAll(out, pos, X_FORWARDED_FOR_LINE);
  if (forFields > 0) {
    pos = putJoined(out, pos, b, fields, X_FORWARDED_FOR);
    out[pos++] = 0x2c;
    out[pos++] = 0x20;
  }
  for (let i = 0; i < clientAddress.length; i++) out[pos++] = clientAddress.charCodeAt(i);
  out[pos++] = 0x0d;
  out[pos++] = 0x0a;
  pos = putAll(out, pos, X_FORWARDED_PROTO_LINE);
  pos = protoFields > 0 ? putJoined(out, pos, b, fields, X_FORWARDED_PROTO) : putAll(out, pos, HTTP);
  out[pos++] = 0x0d;
  out[pos++] = 0x0a;
  if (publicHost > 0) {
    pos = putAll(out, pos, X_FORWARDED_HOST_LINE);
    pos =
      hostFields > 0
        ? putJoined(out, pos, b, fields, X_FORWARDED_HOST)
        : put(out, pos, b, ranges[host * 4 + 2]!, ranges[host * 4 + 3]!);
    out[pos++] = 0x0d;
    out[pos++] = 0x0a;
  }
  out[pos++] = 0x0d;
  out[pos++] = 0x0a;
  if (bodyEnd > bodyStart) b.copy(out, pos, bodyStart, bodyEnd);
  return out;
}

/**
 * The response to the client for the head parsed from `b` (`head`) and the body bytes `b[bodyStart..bodyEnd)`:
 * the status line as HTTP/1.1, the end-to-end fields (as endToEndHeaders keeps them), `date` when the
 * upstream sent no Date, then `framing` and `connection` (the router's own lines, the last ending the head).
 * Undefined when the Connection field names other fields to drop.
 */
export function clientResponse(
  b: Buffer,
  head: ResponseHead,
  date: Uint8Array,
  framing: Uint8Array,
  connection: Uint8Array,
  bodyStart: number,
  bodyEnd: number,
): Buffer | undefined {
  const fields = head.fields;
  if (!connectionNamesNoField(b, fields)) return undefined;
  const ranges = fields.ranges;
  const names = fields.names;
  // "HTTP/1.1 NNN reason\r\n"
  let length = STATUS_LINE_START.length + 4 + head.reasonEnd - head.reasonStart + 2;
  let count = 0;
  let seen = 0;
  let hasDate = false;
  for (let k = 0; k < fields.count; k++) {
    const code = names[k]!;
    if (code !== 0) {
      if (code <= LAST_HOP_BY_HOP) continue;
      if (code === DATE) hasDate = true;
      else if (code >= FIRST_ONLY) {
        const bit = 1 << (code - FIRST_ONLY);
        if (seen & bit) continue;
        seen |= bit;
      }
    }
    keep(count++, k);
    const at = k * 4;
    length += ranges[at + 1]! - ranges[at]! + ranges[at + 3]! - ranges[at + 2]! + 4;
  }
  if (!hasDate) length += date.length;
  length += framing.length + connection.length;
  const out = Buffer.allocUnsafe(length + bodyEnd - bodyStart);
  let pos = putAll(out, 0, STATUS_LINE_START);
  const status = head.status;
  out[pos++] = 0x30 + Math.floor(status / 100);
  out[pos++] = 0x30 + (Math.floor(status / 10) % 10);
  out[pos++] = 0x30 + (status % 10);
  out[pos++] = 0x20;
  pos = put(out, pos, b, head.reasonStart, head.reasonEnd);
  out[pos++] = 0x0d;
  out[pos++] = 0x0a;
  pos = putFields(out, pos, b, fields, count);
  if (!hasDate) pos = putAll(out, pos, date);
  pos = putAll(out, pos, framing);
  pos = putAll(out, pos, connection);
  if (bodyEnd > bodyStart) b.copy(out, pos, bodyStart, bodyEnd);
  return out;
}
