// HTTP/1.x message heads as the builtin router's fast path reads them (RFC 9112): the request line or
// status line and the header fields, strictly. Anything this file does not accept is either answered with
// a 4xx (malformed) or marked `special` so the proxy hands the connection to node:http (valid but unusual).

import {
  bytesEqual,
  CONNECTION,
  CONTENT_LENGTH,
  containsLetters,
  EXPECT,
  fieldName,
  KEEP_ALIVE,
  OTHER,
  TRANSFER_ENCODING,
  UPGRADE,
} from "./field-names.js";

/** Longest request or response head accepted (Node's default `maxHeaderSize`); longer heads get 431. */
export const MAX_HEAD_BYTES = 16 * 1024;

// Byte classes, looked up by byte.
const TOKEN_CHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
  TOKEN_CHAR[c.charCodeAt(0)] = 1;
/** Field values and reason phrases: HTAB, visible ASCII, space, obs-text. */
const VALUE_CHAR = new Uint8Array(256);
VALUE_CHAR[0x09] = 1;
for (let c = 0x20; c < 0x7f; c++) VALUE_CHAR[c] = 1;
for (let c = 0x80; c < 0x100; c++) VALUE_CHAR[c] = 1;
/** Request targets: visible ASCII and obs-text, no spaces. */
const TARGET_CHAR = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) TARGET_CHAR[c] = 1;
for (let c = 0x80; c < 0x100; c++) TARGET_CHAR[c] = 1;

/** Fields per head at most: a field line takes 4 bytes at least ("a:" and CRLF). */
const MAX_FIELDS = (MAX_HEAD_BYTES >> 2) + 2;

/**
 * The header fields of the last head parsed into it, as offsets into the bytes it was parsed from (no strings):
 * field k's name is `bytes[ranges[4k]..ranges[4k+1])`, its value (trimmed) `[ranges[4k+2]..ranges[4k+3])`,
 * and `names[k]` its code from field-names.ts. Reused from head to head: read it before the next parse.
 */
export class HeadFields {
  readonly ranges = new Int32Array(MAX_FIELDS * 4);
  readonly names = new Uint8Array(MAX_FIELDS);
  count = 0;
  /** How many Connection fields, and the last one's index. */
  connections = 0;
  connection = -1;

  /** The fields as Node's flat raw list ([name, value, ...], strings), for the code that takes one. */
  raw(bytes: Buffer): string[] {
    const raw: string[] = [];
    const r = this.ranges;
    for (let k = 0; k < this.count; k++) {
      const at = k * 4;
      raw.push(bytes.toString("latin1", r[at], r[at + 1]), bytes.toString("latin1", r[at + 2], r[at + 3]));
    }
    return raw;
  }
}

/** A parsed request head; one object is filled again for every request (see parseRequestHead). */
export class RequestHead {
  method = "";
  /** The request line up to the end of its target ("GET /path"), as `bytes[0..targetEnd)`. */
  targetEnd = 0;
  readonly fields = new HeadFields();
  /** The body's length; 0 when there is no Content-Length. */
  contentLength = 0;
  /** The client asked to close the connection after this request. */
  close = false;
  /** Valid but left to node:http: HTTP/1.0, Transfer-Encoding (a chunked body), Upgrade, Expect. */
  special = false;
}

/** A parsed response head, filled again for every response (see parseResponseHead). */
export class ResponseHead {
  status = 0;
  /** The reason phrase: `bytes[reasonStart..reasonEnd)`. */
  reasonStart = 0;
  reasonEnd = 0;
  readonly fields = new HeadFields();
  /** -1 without Content-Length. */
  contentLength = -1;
  chunked = false;
  /** The upstream will not take another request on this connection. */
  close = false;
  /** From `Keep-Alive: timeout=N`, in milliseconds; -1 without one. */
  keepAliveMs = -1;
}

/**
 * Where a head ends: the index just past its empty line, or -1 when it has not come within the first
 * MAX_HEAD_BYTES (+ its CRLFCRLF) bytes from `from`. A plain loop: for heads of a few hundred bytes it costs
 * less than the call into `Buffer.indexOf`, and it never looks past the limit.
 */
export function headEnd(buffer: Buffer, from: number): number {
  const stop = Math.min(buffer.length, from + MAX_HEAD_BYTES + 4);
  for (let i = from + 3; i < stop; i++) {
    if (buffer[i] !== 0x0a) continue;
    if (buffer[i - 1] === 0x0d && buffer[i - 2] === 0x0a && buffer[i - 3] === 0x0d) return i + 1;
  }
  return -1;
}

/**
 * Reads the header fields of `b[from..stop)` (from the start of a line to the end of the last field, its
 * CRLF excluded) into `fields`, values trimmed; false when a line is not a valid field (no colon, a space or
 * other non-token byte in the name, obs-fold continuation lines, a control byte, a bare CR or LF).
 */
function readFields(b: Buffer, from: number, stop: number, fields: HeadFields): boolean {
  const ranges = fields.ranges;
  const names = fields.names;
  let count = 0;
  let connections = 0;
  let connection = -1;
  let i = from;
  while (i < stop) {
    const nameStart = i;
    while (i < stop && TOKEN_CHAR[b[i]!] === 1) i++;
    if (i === nameStart || i === stop || b[i] !== 0x3a || count === MAX_FIELDS) return false;
    const nameEnd = i;
    i++;
    while (i < stop && (b[i] === 0x20 || b[i] === 0x09)) i++;
    const valueStart = i;
    let valueEnd = i;
    while (i < stop) {
      const c = b[i]!;
      if (c === 0x0d) break;
      if (VALUE_CHAR[c] !== 1) return false;
      i++;
      if (c !== 0x20 && c !== 0x09) valueEnd = i;
    }
    const at = count * 4;
    ranges[at] = nameStart;
    ranges[at + 1] = nameEnd;
    ranges[at + 2] = valueStart;
    ranges[at + 3] = valueEnd;
    const code = fieldName(b, nameStart, nameEnd);
    names[count] = code;
    if (code === CONNECTION) {
      connections++;
      connection = count;
    }
    count++;
    if (i < stop) {
      if (i + 1 >= stop || b[i + 1] !== 0x0a) return false;
      i += 2;
    }
  }
  fields.count = count;
  fields.connections = connections;
  fields.connection = connection;
  return true;
}

/** A Content-Length value: 1 to 15 digits (exact in a double); -1 when it is not one. */
function lengthValue(b: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = b[i]! - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

const HTTP_1 = Buffer.from("HTTP/1.", "latin1");
const CLOSE = Buffer.from("close", "latin1");
const UPGRADE_TOKEN = Buffer.from("upgrade", "latin1");
const KEEP_ALIVE_TOKEN = Buffer.from("keep-alive", "latin1");
/** Methods named without making a string for each request. */
const COMMON_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"].map((name) => ({
  name,
  bytes: Buffer.from(name, "latin1"),
}));

function methodName(b: Buffer, end: number): string {
  for (const method of COMMON_METHODS) if (bytesEqual(b, 0, end, method.bytes)) return method.name;
  return b.toString("latin1", 0, end);
}

/**
 * Parses the request head in `b[0..stop)` (its final empty line excluded) into `head`. Returns 0, or the
 * status to answer a malformed head with (400).
 */
export function parseRequestHead(b: Buffer, stop: number, head: RequestHead): number {
  let i = 0;
  while (i < stop && TOKEN_CHAR[b[i]!] === 1) i++;
  if (i === 0 || i === stop || b[i] !== 0x20) return 400;
  const methodEnd = i;
  const targetStart = ++i;
  while (i < stop && TARGET_CHAR[b[i]!] === 1) i++;
  if (i === targetStart || i === stop || b[i] !== 0x20) return 400;
  const targetEnd = i;
  i++;
  // "HTTP/1.1" or "HTTP/1.0", then the line's end.
  if (i + 8 > stop || !bytesEqual(b, i, i + 7, HTTP_1)) return 400;
  const minor = b[i + 7];
  let special: boolean;
  if (minor === 0x31) special = false;
  else if (minor === 0x30) special = true;
  else return 400;
  i += 8;
  if (i < stop) {
    if (b[i] !== 0x0d || i + 1 >= stop || b[i + 1] !== 0x0a) return 400;
    i += 2;
  }
  const fields = head.fields;
  if (!readFields(b, i, stop, fields)) return 400;
  let contentLength = -1;
  let transferEncoding = false;
  let close = false;
  const ranges = fields.ranges;
  const names = fields.names;
  for (let k = 0; k < fields.count; k++) {
    const code = names[k]!;
    if (code === OTHER) continue;
    const at = k * 4;
    switch (code) {
      case CONTENT_LENGTH: {
        const length = lengthValue(b, ranges[at + 2]!, ranges[at + 3]!);
        if (length < 0) return 400;
        // Differing repeated lengths are a smuggling attempt (RFC 9112 §6.3).
        if (contentLength >= 0 && contentLength !== length) return 400;
        contentLength = length;
        break;
      }
      case TRANSFER_ENCODING:
        transferEncoding = true;
        break;
      case CONNECTION:
        if (containsLetters(b, ranges[at + 2]!, ranges[at + 3]!, CLOSE)) close = true;
        if (containsLetters(b, ranges[at + 2]!, ranges[at + 3]!, UPGRADE_TOKEN)) special = true;
        break;
      case UPGRADE:
      case EXPECT:
        special = true;
        break;
    }
  }
  // Both framings at once: the classic request smuggling vector, refused outright.
  if (transferEncoding && contentLength >= 0) return 400;
  if (transferEncoding) special = true;
  head.method = methodName(b, methodEnd);
  head.targetEnd = targetEnd;
  head.contentLength = Math.max(contentLength, 0);
  head.close = close;
  head.special = special;
  return 0;
}

/** Parses the response head in `b[from..stop)` (its final empty line excluded) into `head`; false when malformed. */
export function parseResponseHead(b: Buffer, from: number, stop: number, head: ResponseHead): boolean {
  // "HTTP/1.x NNN reason"
  if (from + 12 > stop || !bytesEqual(b, from, from + 7, HTTP_1)) return false;
  const minor = b[from + 7];
  if ((minor !== 0x30 && minor !== 0x31) || b[from + 8] !== 0x20) return false;
  const d1 = b[from + 9]! - 0x30;
  const d2 = b[from + 10]! - 0x30;
  const d3 = b[from + 11]! - 0x30;
  if (d1 < 1 || d1 > 9 || d2 < 0 || d2 > 9 || d3 < 0 || d3 > 9) return false;
  // The status line ends at the first CR (which must start a CRLF), or with the head.
  let lineStop = from + 12;
  while (lineStop < stop && b[lineStop] !== 0x0d) lineStop++;
  let fieldsStart = lineStop;
  if (lineStop < stop) {
    if (lineStop + 1 >= stop || b[lineStop + 1] !== 0x0a) return false;
    fieldsStart = lineStop + 2;
  }
  let reasonStart = lineStop;
  if (lineStop > from + 12) {
    if (b[from + 12] !== 0x20) return false;
    for (let k = from + 13; k < lineStop; k++) if (VALUE_CHAR[b[k]!] !== 1) return false;
    reasonStart = from + 13;
  }
  const fields = head.fields;
  if (!readFields(b, fieldsStart, stop, fields)) return false;
  const http10 = minor === 0x30;
  let contentLength = -1;
  let chunked = false;
  let close = http10;
  let keepAliveMs = -1;
  const ranges = fields.ranges;
  const names = fields.names;
  for (let k = 0; k < fields.count; k++) {
    const code = names[k]!;
    if (code === OTHER) continue;
    const at = k * 4;
    const valueStart = ranges[at + 2]!;
    const valueEnd = ranges[at + 3]!;
    switch (code) {
      case CONTENT_LENGTH: {
        const length = lengthValue(b, valueStart, valueEnd);
        if (length < 0) return false;
        if (contentLength >= 0 && contentLength !== length) return false;
        contentLength = length;
        break;
      }
      case TRANSFER_ENCODING:
        // Only a final "chunked" frames the body; any other coding is read until the connection closes.
        if (/(?:^|,)\s*chunked\s*$/i.test(b.toString("latin1", valueStart, valueEnd))) chunked = true;
        else close = true;
        break;
      case CONNECTION:
        if (containsLetters(b, valueStart, valueEnd, CLOSE)) close = true;
        else if (http10 && containsLetters(b, valueStart, valueEnd, KEEP_ALIVE_TOKEN)) close = false;
        break;
      case KEEP_ALIVE: {
        const timeout = /timeout=(\d+)/i.exec(b.toString("latin1", valueStart, valueEnd));
        if (timeout) keepAliveMs = Number(timeout[1]) * 1000;
        break;
      }
    }
  }
  if (chunked) contentLength = -1;
  head.status = d1 * 100 + d2 * 10 + d3;
  head.reasonStart = reasonStart;
  head.reasonEnd = lineStop;
  head.contentLength = contentLength;
  head.chunked = chunked;
  head.close = close;
  head.keepAliveMs = keepAliveMs;
  return true;
}

// Chunked body scanning: the bytes are forwarded as they are, and only their framing is followed to find the
// end of the body.

const SIZE = 0;
const EXTENSION = 1;
const DATA = 2;
const DATA_CR = 3;
const DATA_LF = 4;
const TRAILER = 5;
const DONE = 6;

/** Where a chunked body is, between calls of `scanChunked`. */
export class ChunkedScanner {
  private state = SIZE;
  private size = 0;
  private digits = 0;
  private lineLength = 0;

  reset(): void {
    this.state = SIZE;
    this.size = 0;
    this.digits = 0;
    this.lineLength = 0;
  }

  /**
   * Follows `buffer[from..]`: returns the index just past the body's end, -1 when the body goes on past this
   * buffer, -2 when the framing is malformed.
   */
  scan(buffer: Buffer, from: number): number {
    let i = from;
    const end = buffer.length;
    while (i < end) {
      const byte = buffer[i]!;
      switch (this.state) {
        case SIZE: {
          const digit = hexValue(byte);
          if (digit >= 0) {
            if (++this.digits > 12) return -2; // beyond any sane chunk (and exact in a double)
            this.size = this.size * 16 + digit;
            i++;
          } else if (this.digits === 0) {
            return -2;
          } else if (byte === 0x3b || byte === 0x20 || byte === 0x09) {
            this.state = EXTENSION; // ";ext" or whitespace before it: ignored up to the line's end
            i++;
          } else if (byte === 0x0d) {
            this.state = EXTENSION;
            i++;
          } else if (byte === 0x0a) {
            i++;
            this.endOfSizeLine();
          } else {
            return -2;
          }
          break;
        }
        case EXTENSION:
          if (byte === 0x0a) this.endOfSizeLine();
          i++;
          break;
        case DATA: {
          const take = Math.min(this.size, end - i);
          this.size -= take;
          i += take;
          if (this.size === 0) this.state = DATA_CR;
          break;
        }
        case DATA_CR:
          if (byte !== 0x0d) return -2;
          this.state = DATA_LF;
          i++;
          break;
        case DATA_LF:
          if (byte !== 0x0a) return -2;
          this.state = SIZE;
          this.size = 0;
          this.digits = 0;
          i++;
          break;
        case TRAILER:
          i++;
          if (byte === 0x0a) {
            if (this.lineLength === 0) {
              this.state = DONE;
              return i;
            }
            this.lineLength = 0;
          } else if (byte !== 0x0d) {
            if (++this.lineLength > MAX_HEAD_BYTES) return -2;
          }
          break;
        default:
          return -2;
      }
    }
    return -1;
  }

  private endOfSizeLine(): void {
    if (this.size === 0) {
      this.state = TRAILER;
      this.lineLength = 0;
    } else {
      this.state = DATA;
    }
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}
