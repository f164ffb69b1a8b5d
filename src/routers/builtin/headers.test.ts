import { describe, expect, it } from "vitest";
import { endToEndHeaders, hostHeader, upstreamRequestHeaders } from "./headers.js";

/** The flat list as pairs, for readable expectations. */
function pairs(flat: readonly string[]): [string, string][] {
  const result: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) result.push([flat[i]!, flat[i + 1]!]);
  return result;
}

describe("endToEndHeaders", () => {
  it("drops hop-by-hop fields in any case and keeps the rest in order, repeated ones as separate lines", () => {
    const raw = [
      "Content-Type",
      "text/plain",
      "Connection",
      "keep-alive",
      "Keep-Alive",
      "timeout=5",
      "Set-Cookie",
      "a=1",
      "Transfer-Encoding",
      "chunked",
      "Set-Cookie",
      "b=2",
    ];
    expect(pairs(endToEndHeaders(raw))).toEqual([
      ["Content-Type", "text/plain"],
      ["Set-Cookie", "a=1"],
      ["Set-Cookie", "b=2"],
    ]);
  });

  it("drops the fields Connection names, wherever Connection comes", () => {
    const raw = ["X-Secret", "s", "X-Kept", "k", "Connection", "close, X-Secret", "connection", "x-other"];
    raw.push("X-Other", "o");
    expect(pairs(endToEndHeaders(raw))).toEqual([["X-Kept", "k"]]);
  });

  it("keeps only the first of fields Node keeps once (content-length, content-type, host, ...)", () => {
    const raw = [
      "content-length",
      "2",
      "Content-Length",
      "2",
      "Server",
      "a",
      "server",
      "b",
      "Via",
      "1",
      "Via",
      "2",
    ];
    expect(pairs(endToEndHeaders(raw))).toEqual([
      ["content-length", "2"],
      ["Server", "a"],
      ["Via", "1"],
      ["Via", "2"],
    ]);
  });
});

describe("upstreamRequestHeaders", () => {
  it("adds X-Forwarded-For/-Proto/-Host, keeps Host, and reports length and chunking", () => {
    const forwarded = upstreamRequestHeaders(
      ["Host", "shop.example", "Content-Length", "5", "Accept", "*/*"],
      "10.1.2.3",
    );
    expect(pairs(forwarded.headers)).toEqual([
      ["Host", "shop.example"],
      ["Content-Length", "5"],
      ["Accept", "*/*"],
      ["x-forwarded-for", "10.1.2.3"],
      ["x-forwarded-proto", "http"],
      ["x-forwarded-host", "shop.example"],
    ]);
    expect(forwarded.contentLength).toBe("5");
    expect(forwarded.chunked).toBe(false);
    expect(forwarded.hasHost).toBe(true);
  });

  it("appends to repeated X-Forwarded-For lines joined, and keeps an earlier proxy's -Proto and -Host", () => {
    const forwarded = upstreamRequestHeaders(
      [
        "X-Forwarded-For",
        "1.1.1.1",
        "host",
        "inner:8080",
        "x-forwarded-for",
        "2.2.2.2",
        "X-Forwarded-Proto",
        "https",
        "X-Forwarded-Host",
        "public.example",
        "Transfer-Encoding",
        "chunked",
      ],
      "127.0.0.1",
    );
    const fields = Object.fromEntries(pairs(forwarded.headers));
    expect(fields["x-forwarded-for"]).toBe("1.1.1.1, 2.2.2.2, 127.0.0.1");
    expect(fields["x-forwarded-proto"]).toBe("https");
    expect(fields["x-forwarded-host"]).toBe("public.example");
    expect(fields.host).toBe("inner:8080");
    expect(Object.keys(fields)).not.toContain("Transfer-Encoding");
    expect(forwarded.chunked).toBe(true);
    expect(forwarded.contentLength).toBeUndefined();
  });

  it("drops fields named by Connection and repeated Host lines; without Host it says so", () => {
    const forwarded = upstreamRequestHeaders(
      [
        "Host",
        "a",
        "Host",
        "b",
        "X-Secret",
        "s",
        "Connection",
        "keep-alive, x-secret",
        "Expect",
        "100-continue",
      ],
      undefined,
    );
    expect(pairs(forwarded.headers)).toEqual([
      ["Host", "a"],
      ["x-forwarded-for", "unknown"],
      ["x-forwarded-proto", "http"],
      ["x-forwarded-host", "a"],
    ]);
    const hostless = upstreamRequestHeaders(["Accept", "*/*"], "127.0.0.1");
    expect(hostless.hasHost).toBe(false);
    expect(pairs(hostless.headers).map(([name]) => name)).not.toContain("x-forwarded-host");
    expect(upstreamRequestHeaders(["Host", "a", "Connection", "host"], "127.0.0.1").hasHost).toBe(false);
  });

  it("hostHeader names the upstream as http.request would", () => {
    expect(hostHeader("127.0.0.1", 8080)).toBe("127.0.0.1:8080");
    expect(hostHeader("example", 80)).toBe("example");
    expect(hostHeader("::1", 9000)).toBe("[::1]:9000");
  });
});
