import { afterEach, describe, expect, it } from "vitest";
import { clearSecrets, registerSecret } from "../config/redact.js";
import { withFields } from "../core/types.js";
import { serviceLogger } from "./logger.js";

function capture(isTTY: boolean) {
  const lines: string[] = [];
  return { lines, out: { isTTY, write: (line: string) => void lines.push(line) } };
}

afterEach(() => clearSecrets());

describe("serviceLogger (pino, for serve and engine)", () => {
  it("writes one JSON object a line when stderr is not a terminal, with the release id as a field", () => {
    const { lines, out } = capture(false);
    const { log, format } = serviceLogger({ component: "engine", env: {}, out });
    expect(format).toBe("json");
    withFields(log, { releaseId: "r-1", environment: "staging" }).warn("release r-1: concurrent write", {
      error: "cas",
    });
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!);
    expect(record).toMatchObject({
      level: 40,
      msg: "release r-1: concurrent write",
      component: "engine",
      releaseId: "r-1",
      environment: "staging",
      error: "cas",
    });
    expect(typeof record.time).toBe("string");
  });

  it("writes `level: message {fields}` on a terminal, and honours TANDEM_LOG_FORMAT", () => {
    const tty = capture(true);
    serviceLogger({ component: "serve", env: {}, out: tty.out }).log.error("boom", { releaseId: "r-2" });
    expect(tty.lines).toEqual(['error: boom {"releaseId":"r-2"}\n']);
    const forced = capture(true);
    serviceLogger({ component: "serve", env: { TANDEM_LOG_FORMAT: "json" }, out: forced.out }).log.warn("w");
    expect(JSON.parse(forced.lines[0]!)).toMatchObject({ msg: "w", level: 40 });
    expect(() =>
      serviceLogger({ component: "serve", env: { TANDEM_LOG_FORMAT: "xml" }, out: forced.out }),
    ).toThrow(expect.objectContaining({ code: "TANDEM_ERR_CONFIG" }));
  });

  it("filters by TANDEM_LOG_LEVEL (default info; debug with TANDEM_DEBUG=1)", () => {
    const plain = capture(false);
    const { log } = serviceLogger({ component: "serve", env: {}, out: plain.out });
    log.debug("hidden");
    log.info("shown");
    expect(plain.lines.map((l) => JSON.parse(l).msg)).toEqual(["shown"]);
    const debug = capture(false);
    serviceLogger({ component: "serve", env: { TANDEM_DEBUG: "1" }, out: debug.out }).log.debug("d");
    expect(debug.lines).toHaveLength(1);
    const quiet = capture(false);
    serviceLogger({ component: "serve", env: { TANDEM_LOG_LEVEL: "error" }, out: quiet.out }).log.warn("w");
    expect(quiet.lines).toEqual([]);
    expect(() => serviceLogger({ component: "serve", env: { TANDEM_LOG_LEVEL: "loud" } })).toThrow(
      expect.objectContaining({ code: "TANDEM_ERR_CONFIG" }),
    );
  });

  it("request lines only at debug: warnings of the HTTP layer always", () => {
    const normal = capture(false);
    const { requests } = serviceLogger({ component: "serve", env: {}, out: normal.out });
    requests.info("incoming request");
    requests.warn("slow");
    expect(normal.lines.map((l) => JSON.parse(l).msg)).toEqual(["slow"]);
    const verbose = capture(false);
    serviceLogger({ component: "serve", env: { TANDEM_DEBUG: "1" }, out: verbose.out }).requests.info(
      "incoming",
    );
    expect(verbose.lines).toHaveLength(1);
  });

  it("never writes a secret: redacted field paths, configured secret values, access_token in URLs", () => {
    registerSecret("hunter2-very-secret");
    const { lines, out } = capture(false);
    const { log, requests } = serviceLogger({ component: "serve", env: { TANDEM_DEBUG: "1" }, out });
    log.error("hook failed: curl -H 'X: hunter2-very-secret'", {
      token: "tdm_abc",
      headers: { authorization: "Bearer tdm_abc" },
      detail: "exit with hunter2-very-secret",
    });
    requests.info(
      { req: { method: "GET", url: "/api/v1/events/stream?access_token=tdm_abc&after=3" } },
      "incoming",
    );
    const text = lines.join("");
    expect(text).not.toContain("hunter2-very-secret");
    expect(text).not.toContain("tdm_abc");
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first.token).toBe("[redacted]");
    expect(first.headers.authorization).toBe("[redacted]");
    expect(second.req.url).toBe("/api/v1/events/stream?access_token=[redacted]&after=3");
  });
});
