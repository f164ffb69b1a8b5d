import { describe, expect, it } from "vitest";
import { EjectBatcher } from "./eject-batcher.js";

/** A send that stays pending until released, recording each batch. */
function gatedSend() {
  const batches: Record<string, string[]>[] = [];
  const gates: { release: () => void; fail: (error: Error) => void }[] = [];
  const send = (services: Record<string, string[]>) => {
    batches.push(services);
    return new Promise<void>((resolve, reject) => gates.push({ release: resolve, fail: reject }));
  };
  return { batches, gates, send };
}

describe("EjectBatcher", () => {
  it("sends what arrives in one turn as one call, and what arrives during it as the next", async () => {
    const { batches, gates, send } = gatedSend();
    const batcher = new EjectBatcher(send);
    const first = [batcher.add("api", ["a1"]), batcher.add("web", ["w1"]), batcher.add("api", ["a2", "a1"])];
    await expect.poll(() => batches.length).toBe(1);
    expect(batches[0]).toEqual({ api: ["a1", "a2"], web: ["w1"] });

    const later = [batcher.add("web", ["w2"]), batcher.add("db", ["d1"])];
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toHaveLength(1); // the first call is still in flight
    gates[0]!.release();
    await Promise.all(first);
    await expect.poll(() => batches.length).toBe(2);
    expect(batches[1]).toEqual({ web: ["w2"], db: ["d1"] });
    gates[1]!.release();
    await Promise.all(later);
  });

  it("rejects every caller of a failed batch, and sends the next batch anyway", async () => {
    const { batches, gates, send } = gatedSend();
    const batcher = new EjectBatcher(send);
    const failed = Promise.allSettled([batcher.add("api", ["a1"]), batcher.add("web", ["w1"])]);
    await expect.poll(() => batches.length).toBe(1);
    const next = batcher.add("api", ["a2"]);
    gates[0]!.fail(new Error("daemon gone"));
    expect((await failed).map((result) => result.status)).toEqual(["rejected", "rejected"]);
    await expect.poll(() => batches.length).toBe(2);
    gates[1]!.release();
    await expect(next).resolves.toBeUndefined();
    expect(batches[1]).toEqual({ api: ["a2"] });
  });
});
