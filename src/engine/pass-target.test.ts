import { expect, it } from "vitest";
import type { Endpoint } from "../core/types.js";
import type { Target } from "../targets/types.js";
import { passTarget } from "./pass-target.js";

function countingTarget() {
  const endpoints: Endpoint[] = [];
  let lists = 0;
  const target: Target = {
    async list(version) {
      lists++;
      return endpoints.filter((e) => version === undefined || e.version === version);
    },
    async start(version, count) {
      const started: Endpoint[] = Array.from({ length: count }, (_, i) => ({
        id: `${version}-${endpoints.length + i}`,
        version,
        host: "sim",
        port: 1 + endpoints.length + i,
        startedAt: 0,
      }));
      endpoints.push(...started);
      return started;
    },
    async stop(victims) {
      for (const v of victims) endpoints.splice(endpoints.indexOf(v), 1);
    },
  };
  return { target, lists: () => lists };
}

it("lists the target once per pass, filtering by version, and again after instances were started or stopped", async () => {
  const inner = countingTarget();
  const { target, newPass } = passTarget(inner.target);
  const signal = new AbortController().signal;
  await inner.target.start("1.0.0", 2, signal);
  expect((await target.list("1.0.0")).map((e) => e.id)).toEqual(["1.0.0-0", "1.0.0-1"]);
  expect(await target.list("2.0.0")).toEqual([]);
  expect(await target.list()).toHaveLength(2);
  expect(inner.lists()).toBe(1);

  const [started] = await target.start("2.0.0", 1, signal);
  expect((await target.list("2.0.0")).map((e) => e.id)).toEqual([started!.id]);
  await target.stop([started!], signal);
  expect(await target.list("2.0.0")).toEqual([]);
  expect(inner.lists()).toBe(3);

  // Another pass sees what changed behind its back (a crash, another process).
  await inner.target.start("3.0.0", 1, signal);
  expect(await target.list("3.0.0")).toEqual([]);
  newPass();
  expect(await target.list("3.0.0")).toHaveLength(1);
  // Optional hooks the target lacks stay absent, so callers still see they are not there.
  expect(target.setWeights).toBeUndefined();
});
