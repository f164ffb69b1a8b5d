import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExecProbe } from "./exec.js";
import { endpointAt, timing } from "./test-helpers.js";

const never = new AbortController().signal;
let dir: string;

function probe(
  command: string[],
  overrides: { env?: Record<string, string>; timeout?: number } = {},
): ExecProbe {
  return new ExecProbe({
    ...timing,
    type: "exec",
    name: "script",
    command,
    env: overrides.env ?? {},
    ...overrides,
  });
}

/** Runs a small node script as the probe command; its extra arguments follow. */
function node(script: string, ...args: string[]): string[] {
  return [process.execPath, "-e", script, ...args];
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "tandem-exec-probe-"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("ExecProbe", () => {
  it("passes when the command exits 0", async () => {
    const result = await probe(node("process.exit(0)")).check(endpointAt(4101), never);
    expect(result.ok).toBe(true);
    expect(result.message).toContain("-> exit 0");
  });

  it("fails on a non-zero exit, with the exit code and the tail of stderr", async () => {
    const script = 'console.error("line one"); console.error("database unreachable"); process.exit(3)';
    const result = await probe(node(script)).check(endpointAt(4101), never);
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/-> exit 3: line one \| database unreachable$/);
  });

  it("substitutes the host, port and version placeholders and passes the endpoint in the environment", async () => {
    const script =
      "const [host, port, version] = process.argv.slice(1);" +
      "const env = process.env;" +
      "const same = host === env.ENDPOINT_HOST && port === env.ENDPOINT_PORT && version === env.TANDEM_VERSION;" +
      'process.exit(same && host === "127.0.0.1" && port === "4101" && version === "2.0.0" && env.EXTRA === "x" ? 0 : 1)';
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the probe's own placeholders, not a template
    const argv = node(script, "${host}", "${port}", "${version}");
    const result = await probe(argv, {
      env: { EXTRA: "x" },
    }).check(endpointAt(4101, "2.0.0"), never);
    expect(result.ok).toBe(true);
  });

  it("never runs arguments through a shell", async () => {
    const marker = path.join(dir, "injected");
    const result = await probe(["echo", `\${host}; touch ${marker}`, `$(touch ${marker})`]).check(
      endpointAt(4101),
      never,
    );
    expect(result.ok).toBe(true);
    expect(existsSync(marker)).toBe(false);
  });

  it("kills a command that outlives the timeout", async () => {
    const startedAt = Date.now();
    const result = await probe(node("setTimeout(() => {}, 10000)"), { timeout: 300 }).check(
      endpointAt(4101),
      never,
    );
    expect(result.ok).toBe(false);
    expect(result.message).toContain("timed out after 300ms");
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it("reports a command that does not exist", async () => {
    const result = await probe(["tandem-no-such-check-xyz"]).check(endpointAt(4101), never);
    expect(result.ok).toBe(false);
    expect(result.message).toContain("command not found");
  });
});
