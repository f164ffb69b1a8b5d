import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AccessLogStats, parseLogLine } from "./access-log.js";

const line = (v: string, s: number, t: number) => `${JSON.stringify({ v, s, t, u: "127.0.0.1:4001" })}\n`;

describe("AccessLogStats", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const logFile = () => {
    const dir = mkdtempSync(join(tmpdir(), "tandem-access-log-"));
    dirs.push(dir);
    return join(dir, "access.log");
  };

  it("counts requests, 5xx and latency per version, reading only what was appended", () => {
    const file = logFile();
    const stats = new AccessLogStats(file);
    expect(stats.read()).toEqual({});
    writeFileSync(file, line("1.0.0", 200, 0.004) + line("1.1.0", 502, 0.2) + line("1.0.0", 404, 0.0));
    const first = stats.read();
    expect(first["1.0.0"]).toMatchObject({ requests: 2, errors: 0, inFlight: 0 });
    expect(first["1.1.0"]).toMatchObject({ requests: 1, errors: 1 });
    // 4 ms falls in the (2, 5] bucket, 200 ms in (100, 250].
    const bounds = first["1.0.0"]!.latency.boundsMs;
    expect(first["1.0.0"]!.latency.counts[bounds.indexOf(5)]).toBe(1);
    expect(first["1.1.0"]!.latency.counts[bounds.indexOf(250)]).toBe(1);

    // A line nginx is still writing waits for its end.
    const partial = line("1.1.0", 200, 0.001);
    appendFileSync(file, partial.slice(0, 10));
    expect(stats.read()["1.1.0"]!.requests).toBe(1);
    appendFileSync(file, partial.slice(10));
    expect(stats.read()["1.1.0"]!.requests).toBe(2);
    expect(stats.read()["1.0.0"]!.requests).toBe(2);
  });

  it("starts over when the log was truncated (a new master), and skips lines of no version", () => {
    const file = logFile();
    const stats = new AccessLogStats(file);
    writeFileSync(file, line("1.0.0", 200, 0.001).repeat(5));
    expect(stats.read()["1.0.0"]!.requests).toBe(5);
    writeFileSync(file, line("2.0.0", 500, 0.001) + line("", 503, 0) + "garbage\n");
    expect(stats.read()).toEqual({ "2.0.0": expect.objectContaining({ requests: 1, errors: 1 }) });
  });

  it("parses the log_format's lines and nothing else", () => {
    expect(parseLogLine('{"v":"1.0.0","s":200,"t":0.012,"u":"127.0.0.1:1"}')).toEqual({
      v: "1.0.0",
      s: 200,
      t: 0.012,
    });
    expect(parseLogLine('{"v":"","s":503,"t":0.000,"u":""}')).toBeUndefined();
    expect(parseLogLine("127.0.0.1 - - [01/Dec/2026] GET / 200")).toBeUndefined();
    expect(parseLogLine('{"v":"1.0.0","s":200')).toBeUndefined();
  });
});
