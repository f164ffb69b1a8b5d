import { inspect } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { drive, type Harness, harness, TOKEN } from "./test-support.js";

const never = new AbortController().signal;
let h: Harness | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  await h?.fake.close();
  h = undefined;
});

/** Everything an error carries that could reach a person: message, hint, stack, cause, own fields. */
function everything(error: unknown): string {
  const e = error as { message?: string; hint?: string; stack?: string };
  return [e.message, e.hint, e.stack, inspect(error, { depth: 6 }), JSON.stringify(error)].join("\n");
}

describe("the GitHub token", () => {
  it("never appears in errors, probe results, action records, logs or the console, whatever happens", async () => {
    const printed: string[] = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        printed.push(args.map((arg) => inspect(arg)).join(" "));
      });
    }
    h = await harness({
      workflows: [
        { file: "deploy.yml", id: 1001 },
        { file: "strict.yml", id: 1003, inputs: ["version", "environment", "tandem_id", "cluster"] },
      ],
      config: { rollbackWorkflow: "rollback-missing.yml" },
      script: (dispatch) =>
        dispatch.inputs.version === "bad"
          ? { conclusion: "failure" }
          : { runFor: 5_000, outputs: { url: "https://x" } },
    });
    const seen: string[] = [];

    // A successful deployment with outputs, and a failed one.
    for (const version of ["1.0.0", "bad"]) {
      const [endpoint] = await h.target.start(version, 1, never);
      const result = await drive(h.clock, h.target.follow(endpoint!, never));
      seen.push(JSON.stringify(result));
    }
    // 404 (unknown rollback workflow), 422 (an input the workflow needs is missing), 401 (a wrong token).
    const failures = [
      h.target.rollback("bad", "1.0.0", never),
      h.restartedWith({ workflow: "strict.yml" }).start("2.0.0", 1, never),
      h.restartedWith({ token: `${TOKEN}-revoked` }).start("2.0.1", 1, never),
      h.restartedWith({ workflow: "missing.yml" }).start("2.0.2", 1, never),
    ];
    // Every rejection is handled from the start: awaited one by one, a later one could reject first.
    const errors: unknown[] = await Promise.all(
      failures.map((failure) =>
        failure.then(
          () => undefined,
          (error: unknown) => error,
        ),
      ),
    );
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(Array(4).fill("TANDEM_ERR_TARGET"));
    expect(errors.map((e) => (e as Error).message)).toEqual([
      expect.stringMatching(/dispatch rollback-missing\.yml on main in shop\/backend failed: 404: Not Found/),
      expect.stringMatching(/failed: 422: Required input 'cluster' not provided/),
      expect.stringMatching(/failed: 401: Bad credentials/),
      expect.stringMatching(/failed: 404: Not Found/),
    ]);
    expect((errors[2] as { hint?: string }).hint).toMatch(/token is missing, expired or revoked/);
    seen.push(...errors.map(everything));
    seen.push(JSON.stringify(h.target.takeActions()), ...h.log.lines, ...printed);

    // The fake did receive the token (so it was really sent), yet nothing above shows it.
    expect(h.fake.requests.filter((r) => r.status === 401)).toHaveLength(1);
    expect(h.fake.requests.filter((r) => r.status === 204)).toHaveLength(2);
    const text = seen.join("\n");
    expect(text).toContain("Bad credentials");
    expect(text).toContain("https://github.com/shop/backend/actions/runs/");
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(TOKEN.slice(4, 20));
  });
});
