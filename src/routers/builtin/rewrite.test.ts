import { describe, expect, it } from "vitest";
import { endToEndHeaders, upstreamRequestHeaders } from "./headers.js";
import { headEnd, parseRequestHead, parseResponseHead, RequestHead, ResponseHead } from "./http1.js";
import { clientResponse, upstreamRequest } from "./rewrite.js";

// The byte-built heads must carry exactly what headers.ts gives the node:http path for the same fields: each
// case is built both ways and compared byte for byte.

const CLIENT = "10.0.0.7";

/** The upstream request as headers.ts rewrites it (what the fast path sent before it built heads in bytes). */
function viaHeaders(bytes: Buffer, head: RequestHead, bodyStart: number): string {
  const forwarded = upstreamRequestHeaders(head.fields.raw(bytes), CLIENT);
  let text = `${bytes.toString("latin1", 0, head.targetEnd)} HTTP/1.1\r\n`;
  for (let i = 0; i < forwarded.headers.length; i += 2)
    text += `${forwarded.headers[i]}: ${forwarded.headers[i + 1]}\r\n`;
  return `${text}\r\n${bytes.toString("latin1", bodyStart)}`;
}

function request(text: string): { bytes: Buffer; head: RequestHead; bodyStart: number } {
  const bytes = Buffer.from(text, "latin1");
  const bodyStart = headEnd(bytes, 0);
  const head = new RequestHead();
  expect(parseRequestHead(bytes, bodyStart - 4, head)).toBe(0);
  return { bytes, head, bodyStart };
}

const REQUESTS = [
  "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
  "GET /a?b=c HTTP/1.1\r\nhost: shop.example\r\nUser-Agent: x\r\nAccept: */*\r\n\r\n",
  "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
  "GET / HTTP/1.1\r\nHost:   padded   \r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nUser-Agent: one\r\nuser-agent: two\r\nVia: 1\r\nVia: 2\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nProxy-Connection: x\r\nProxy-Authorization: y\r\n\r\n",
  "GET / HTTP/1.1\r\nX-Forwarded-For: 1.1.1.1\r\nHost: inner:8080\r\nx-forwarded-for: 2.2.2.2\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: public.example\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For:\r\nX-Forwarded-Proto:\r\nX-Forwarded-Host:\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For:\r\nX-Forwarded-For:\r\nx-forwarded-proto: a\r\nX-FORWARDED-PROTO: b\r\n\r\n",
  "GET / HTTP/1.1\r\nHost:\r\nAccept: */*\r\n\r\n",
  "DELETE /x HTTP/1.1\r\nHOST: h\r\nAuthorization: a\r\nauthorization: b\r\nDate: today\r\nTrailer: t\r\n\r\n",
  "PURGE /cache HTTP/1.1\r\nHost: h\r\nX-Obs: caf\xe9\r\n\r\n",
  "PUT /u HTTP/1.1\r\nContent-Length: 3\r\nHost: h\r\ncontent-length: 3\r\n\r\nabc",
];

describe("upstreamRequest", () => {
  it.each(REQUESTS)("builds what headers.ts builds: %j", (text) => {
    const { bytes, head, bodyStart } = request(text);
    const built = upstreamRequest(bytes, head, CLIENT, bodyStart, bytes.length);
    expect(built?.toString("latin1")).toBe(viaHeaders(bytes, head, bodyStart));
  });

  it("leaves a request without Host, or with a Connection field naming others, to headers.ts", () => {
    for (const text of [
      "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, x-secret\r\nX-Secret: s\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
      "GET / HTTP/1.1\r\nConnection: host\r\nHost: h\r\n\r\n",
    ]) {
      const { bytes, head, bodyStart } = request(text);
      expect(upstreamRequest(bytes, head, CLIENT, bodyStart, bytes.length)).toBeUndefined();
    }
  });
});

const DATE = Buffer.from("Date: router-date\r\n", "latin1");
const FRAMING = Buffer.from("Transfer-Encoding: chunked\r\n", "latin1");
const CONNECTION = Buffer.from("Connection: keep-alive\r\n\r\n", "latin1");

/** The client response as endToEndHeaders gives its fields (what the fast path sent before). */
function responseViaHeaders(bytes: Buffer, head: ResponseHead, bodyStart: number, framing: Buffer): string {
  const reason = bytes.toString("latin1", head.reasonStart, head.reasonEnd);
  let text = `HTTP/1.1 ${head.status} ${reason}\r\n`;
  const headers = endToEndHeaders(head.fields.raw(bytes));
  let hasDate = false;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() === "date") hasDate = true;
    text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  }
  if (!hasDate) text += DATE.toString("latin1");
  return (
    text + framing.toString("latin1") + CONNECTION.toString("latin1") + bytes.toString("latin1", bodyStart)
  );
}

const RESPONSES = [
  "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 07 Dec 2026 14:00:00 GMT\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}",
  "HTTP/1.1 204 No Content\r\nServer: a\r\nserver: b\r\n\r\n",
  "HTTP/1.1 200 \r\nContent-Length: 0\r\nKeep-Alive: timeout=5\r\nConnection: close\r\n\r\n",
  "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n",
  "HTTP/1.0 302 Found\r\nLocation: /a\r\nlocation: /b\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Forwarded-For: kept\r\n\r\n",
  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x\r\nUpgrade: no\r\ndate: lower\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
];

describe("clientResponse", () => {
  it.each(RESPONSES)("builds what endToEndHeaders gives: %j", (text) => {
    const bytes = Buffer.from(text, "latin1");
    const bodyStart = headEnd(bytes, 0);
    const head = new ResponseHead();
    expect(parseResponseHead(bytes, 0, bodyStart - 4, head)).toBe(true);
    const framing = head.chunked ? FRAMING : Buffer.alloc(0);
    const built = clientResponse(bytes, head, DATE, framing, CONNECTION, bodyStart, bytes.length);
    expect(built?.toString("latin1")).toBe(responseViaHeaders(bytes, head, bodyStart, framing));
  });

  it("leaves a response whose Connection field names others to endToEndHeaders", () => {
    const bytes = Buffer.from("HTTP/1.1 200 OK\r\nConnection: x-hop\r\nX-Hop: 1\r\n\r\n", "latin1");
    const head = new ResponseHead();
    expect(parseResponseHead(bytes, 0, headEnd(bytes, 0) - 4, head)).toBe(true);
    expect(
      clientResponse(bytes, head, DATE, FRAMING, CONNECTION, bytes.length, bytes.length),
    ).toBeUndefined();
  });
});

describe("parseResponseHead", () => {
  it("reads status, reason, framing and keep-alive hints from the bytes at an offset", () => {
    const bytes = Buffer.from(
      "xxHTTP/1.1 201 Created\r\nContent-Length: 12\r\nKeep-Alive: timeout=7\r\n\r\n",
      "latin1",
    );
    const head = new ResponseHead();
    expect(parseResponseHead(bytes, 2, headEnd(bytes, 2) - 4, head)).toBe(true);
    expect(head.status).toBe(201);
    expect(bytes.toString("latin1", head.reasonStart, head.reasonEnd)).toBe("Created");
    expect(head.contentLength).toBe(12);
    expect(head.keepAliveMs).toBe(7000);
    expect(head.close).toBe(false);
  });

  it("refuses a short or malformed status line and differing lengths", () => {
    for (const text of [
      "HTTP/1.1 20\r\n\r\n",
      "HTTP/1.1 2x0 OK\r\n\r\n",
      "HTTP/2.0 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\rX\r\n\r\n",
    ]) {
      const bytes = Buffer.from(text, "latin1");
      const end = headEnd(bytes, 0);
      expect(parseResponseHead(bytes, 0, end - 4, new ResponseHead())).toBe(false);
    }
  });
});
