// HTTP/1.x message heads as the builtin router's fast path reads them (RFC 9112): the request line or
// status line and the header fields, strictly. Anything this file does not accept is either answered with
// a 4xx (malformed) or marked `special` so the proxy hands the connection to node:http (valid but unusual).

/** Longest request or response head accepted (Node's default `maxHeaderSize`); longer heads get 431. */
export const MAX_HEAD_BYTES = 16 * 1024;

const DIGITS = /^[0-9]{1,15}$/;

// Byte classes, looked up by char code (the head is read as latin1, so every code is below 256).
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

export interface RequestHead {
  method: string;
  target: string;
  /** Flat [name, value, ...] list as received (names in their case, values trimmed). */
  raw: string[];
  /** The body's length; 0 when there is no Content-Length. */
  contentLength: number;
  /** The client asked to close the connection after this request. */
  close: boolean;
  /**
   * Valid but left to node:http: HTTP/1.0, Transfer-Encoding (a chunked body), Upgrade, Expect.
   */
  special: boolean;
}

export interface ResponseHead {
  status: number;
  reason: string;
  raw: string[];
  /** -1 without Content-Length. */
  contentLength: number;
  chunked: boolean;
  /** The upstream will not take another request on this connection. */
  close: boolean;
  /** From `Keep-Alive: timeout=N`, in milliseconds; -1 without one. */
  keepAliveMs: number;
}

/**
 * Where a head ends: the index just past its empty line, or -1 when it has not come within the first
 * MAX_HEAD_BYTES (+ its CRLFCRLF) bytes. A plain loop: for heads of a few hundred bytes it costs less than
 * the call into `Buffer.indexOf`, and it never looks past the limit.
 */
export function headEnd(buffer: Buffer, from: number): number {
  const stop = Math.min(buffer.length, MAX_HEAD_BYTES + 4);
  for (let i = from + 3; i < stop; i++) {
    if (buffer[i] !== 0x0a) continue;
    if (buffer[i - 1] === 0x0d && buffer[i - 2] === 0x0a && buffer[i - 3] === 0x0d) return i + 1;
  }
  return -1;
}

/**
 * Reads the header fields of `text` from `from` (the start of a line) to its end into `raw`, values trimmed;
 * false when a line is not a valid field (no colon, a space or other non-token character in the name,
 * obs-fold continuation lines, a control character, a bare CR or LF).
 */
function fields(text: string, from: number, raw: string[]): boolean {
  const length = text.length;
  let i = from;
  while (i < length) {
    const nameStart = i;
    while (i < length && TOKEN_CHAR[text.charCodeAt(i)] === 1) i++;
    if (i === nameStart || i === length || text.charCodeAt(i) !== 0x3a) return false;
    const name = text.slice(nameStart, i);
    i++;
    let c = text.charCodeAt(i);
    while (c === 0x20 || c === 0x09) c = text.charCodeAt(++i);
    const valueStart = i;
    let valueEnd = i;
    while (i < length) {
      c = text.charCodeAt(i);
      if (c === 0x0d) break;
      if (VALUE_CHAR[c] !== 1) return false;
      i++;
      if (c !== 0x20 && c !== 0x09) valueEnd = i;
    }
    raw.push(name, text.slice(valueStart, valueEnd));
    if (i < length) {
      if (text.charCodeAt(i + 1) !== 0x0a) return false;
      i += 2;
    }
  }
  return true;
}

/** The index just past the line that starts at `from`: past its CRLF, or the text's length. -1: a bare CR. */
function lineEnd(text: string, from: number): number {
  const cr = text.indexOf("\r", from);
  if (cr < 0) return text.length;
  return text.charCodeAt(cr + 1) === 0x0a ? cr + 2 : -1;
}

/**
 * Parses a request head (`text`: its bytes as latin1, the final empty line excluded). Returns the head, or
 * the status to answer a malformed one with (400).
 */
export function parseRequestHead(text: string): RequestHead | number {
  const length = text.length;
  let i = 0;
  while (i < length && TOKEN_CHAR[text.charCodeAt(i)] === 1) i++;
  if (i === 0 || text.charCodeAt(i) !== 0x20) return 400;
  const method = text.slice(0, i);
  const targetStart = ++i;
  while (i < length && TARGET_CHAR[text.charCodeAt(i)] === 1) i++;
  if (i === targetStart || text.charCodeAt(i) !== 0x20) return 400;
  const target = text.slice(targetStart, i);
  i++;
  // "HTTP/1.1" or "HTTP/1.0", then the line's end.
  if (!text.startsWith("HTTP/1.", i)) return 400;
  const minor = text.charCodeAt(i + 7);
  let special: boolean;
  if (minor === 0x31) special = false;
  else if (minor === 0x30) special = true;
  else return 400;
  i += 8;
  if (i < length) {
    if (text.charCodeAt(i) !== 0x0d || text.charCodeAt(i + 1) !== 0x0a) return 400;
    i += 2;
  }
  const raw: string[] = [];
  if (!fields(text, i, raw)) return 400;
  let contentLength = -1;
  let transferEncoding = false;
  let close = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // Only the few fields that decide framing or the path are looked at; the length check skips most.
    switch (name.length) {
      case 14:
        if (name.toLowerCase() === "content-length") {
          const value = raw[i + 1]!;
          if (!DIGITS.test(value)) return 400;
          const length = Number(value);
          // Differing repeated lengths are a smuggling attempt (RFC 9112 §6.3).
          if (contentLength >= 0 && contentLength !== length) return 400;
          contentLength = length;
        }
        break;
      case 17:
        if (name.toLowerCase() === "transfer-encoding") transferEncoding = true;
        break;
      case 10:
        if (name.toLowerCase() === "connection") {
          const value = raw[i + 1]!.toLowerCase();
          if (value.includes("close")) close = true;
          if (value.includes("upgrade")) special = true;
        }
        break;
      case 7:
        if (name.toLowerCase() === "upgrade") special = true;
        break;
      case 6:
        if (name.toLowerCase() === "expect") special = true;
        break;
    }
  }
  // Both framings at once: the classic request smuggling vector, refused outright.
  if (transferEncoding && contentLength >= 0) return 400;
  if (transferEncoding) special = true;
  return { method, target, raw, contentLength: Math.max(contentLength, 0), close, special };
}

/** Parses a response head; undefined when it is malformed. */
export function parseResponseHead(text: string): ResponseHead | undefined {
  // "HTTP/1.x NNN reason"
  if (!text.startsWith("HTTP/1.", 0)) return undefined;
  const minor = text.charCodeAt(7);
  if ((minor !== 0x30 && minor !== 0x31) || text.charCodeAt(8) !== 0x20) return undefined;
  const d1 = text.charCodeAt(9) - 0x30;
  const d2 = text.charCodeAt(10) - 0x30;
  const d3 = text.charCodeAt(11) - 0x30;
  if (d1 < 1 || d1 > 9 || d2 < 0 || d2 > 9 || d3 < 0 || d3 > 9) return undefined;
  const status = d1 * 100 + d2 * 10 + d3;
  const end = lineEnd(text, 12);
  if (end < 0) return undefined;
  const lineStop = end === text.length ? end : end - 2;
  let reason = "";
  if (lineStop > 12) {
    if (text.charCodeAt(12) !== 0x20) return undefined;
    for (let k = 13; k < lineStop; k++) if (VALUE_CHAR[text.charCodeAt(k)] !== 1) return undefined;
    reason = text.slice(13, lineStop);
  }
  const raw: string[] = [];
  if (!fields(text, end, raw)) return undefined;
  const http10 = minor === 0x30;
  let contentLength = -1;
  let chunked = false;
  let close = http10;
  let keepAliveMs = -1;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    switch (name.length) {
      case 14:
        if (name.toLowerCase() === "content-length") {
          const value = raw[i + 1]!;
          if (!DIGITS.test(value)) return undefined;
          const length = Number(value);
          if (contentLength >= 0 && contentLength !== length) return undefined;
          contentLength = length;
        }
        break;
      case 17:
        if (name.toLowerCase() === "transfer-encoding") {
          // Only a final "chunked" frames the body; any other coding is read until the connection closes.
          if (/(?:^|,)\s*chunked\s*$/i.test(raw[i + 1]!)) chunked = true;
          else close = true;
        }
        break;
      case 10: {
        const lower = name.toLowerCase();
        if (lower === "connection") {
          const value = raw[i + 1]!.toLowerCase();
          if (value.includes("close")) close = true;
          else if (http10 && value.includes("keep-alive")) close = false;
        } else if (lower === "keep-alive") {
          const timeout = /timeout=(\d+)/i.exec(raw[i + 1]!);
          if (timeout) keepAliveMs = Number(timeout[1]) * 1000;
        }
        break;
      }
    }
  }
  if (chunked) contentLength = -1;
  return {
    status,
    reason,
    raw,
    contentLength,
    chunked,
    close,
    keepAliveMs,
  };
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
