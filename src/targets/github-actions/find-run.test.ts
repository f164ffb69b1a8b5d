import { describe, expect, it } from "vitest";
import type { WorkflowRun } from "./client.js";
import { matchRun, newCorrelationId, outputsOf } from "./find-run.js";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

function run(id: number, title: string, createdAt: number): WorkflowRun {
  return {
    id,
    name: "deploy",
    display_title: title,
    status: "queued",
    conclusion: null,
    html_url: `https://github.com/shop/api/actions/runs/${id}`,
    created_at: iso(createdAt),
  };
}

describe("matchRun", () => {
  const correlationId = "tandem-abcdefghij";

  it("takes the run whose title carries the correlation id, even when newer runs exist", () => {
    const runs = [
      run(3, "Nightly", T0 + 5_000),
      run(2, `Deploy 2.0.0 [${correlationId}]`, T0 + 1_000),
      run(1, "old", T0),
    ];
    expect(matchRun(runs, { correlationId, dispatchedAt: T0, claimed: new Set() })).toEqual({
      run: runs[1],
      by: "tandem_id",
    });
  });

  it("falls back to the newest run since the dispatch that carries no other Tandem id and is not claimed", () => {
    const runs = [
      run(5, "Deploy 9.0.0 [tandem-zzzzzzzzzz]", T0 + 9_000),
      run(4, "claimed by another service", T0 + 8_000),
      run(3, "deploy", T0 + 2_000),
      run(2, "deploy", T0 - 120_000),
    ];
    expect(matchRun(runs, { correlationId, dispatchedAt: T0, claimed: new Set([4]) })).toEqual({
      run: runs[2],
      by: "newest",
    });
    expect(
      matchRun([runs[0]!, runs[3]!], { correlationId, dispatchedAt: T0, claimed: new Set() }),
    ).toBeUndefined();
  });

  it("makes distinct correlation ids of the documented shape", () => {
    const ids = new Set(Array.from({ length: 100 }, newCorrelationId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^tandem-[a-z0-9]{10}$/);
  });
});

describe("outputsOf", () => {
  it("reads `tandem-output key=value` step names across jobs; later steps win; other steps are ignored", () => {
    const step = (name: string, number: number) => ({
      name,
      status: "completed",
      conclusion: "success",
      number,
    });
    expect(
      outputsOf([
        {
          id: 1,
          name: "build",
          steps: [step("Checkout", 1), step("tandem-output image=ghcr.io/shop/api:2.0.0", 2)],
        },
        {
          id: 2,
          name: "deploy",
          steps: [
            step("tandem-output url=https://a.example/?x=1&y=2", 1),
            step("tandem-output image=sha256:abc", 2),
            step("tandem-output", 3),
          ],
        },
        { id: 3, name: "no steps" },
      ]),
    ).toEqual({ image: "sha256:abc", url: "https://a.example/?x=1&y=2" });
  });
});
