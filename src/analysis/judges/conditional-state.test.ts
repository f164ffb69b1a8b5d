import { describe, expect, it } from "vitest";
import { binomial, seeded } from "../stats/random.js";
import type { Measurement } from "../types.js";
import { ConditionalComparison, conditionalCompareJudge } from "./conditional.js";
import type { CompareSpec } from "./types.js";

const spec: CompareSpec = { metric: "error_rate", maxIncrease: {}, alpha: 0.01 };

/** Cumulative looks of a canary at 3% errors against a stable version at 1%, 200 + 800 requests a look. */
function looks(count: number): Measurement[] {
  const random = seeded(42);
  const canary = { requests: 0, errors: 0 };
  const baseline = { requests: 0, errors: 0 };
  return Array.from({ length: count }, (_, i) => {
    canary.requests += 200;
    canary.errors += binomial(random, 200, 0.03);
    baseline.requests += 800;
    baseline.errors += binomial(random, 800, 0.01);
    return { at: i * 10_000, canary: { ...canary }, baseline: { ...baseline } };
  });
}

describe("ConditionalComparison state", () => {
  it("continues after a snapshot stored as JSON exactly as if it had never stopped", () => {
    const all = looks(30);
    let state: unknown;
    const verdicts: string[] = [];
    for (const [i, look] of all.entries()) {
      const test = ConditionalComparison.restore(spec, state as never);
      const verdict = test.observe(look);
      verdicts.push(verdict.verdict);
      state = JSON.parse(JSON.stringify(test.snapshot()));
      expect(verdict).toEqual(conditionalCompareJudge(spec, all.slice(0, i + 1)));
    }
    expect(verdicts).toContain("failed");
    expect(verdicts.at(-1)).toBe("failed");
  });
});
