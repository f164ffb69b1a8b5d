import { describe, expect, it } from "vitest";
import { streamUrl } from "./api";

describe("the event stream's URL", () => {
  it("carries the release, the last seq seen and the token as access_token", () => {
    const url = new URL(streamUrl("tdm_x+y", { release: "r1", after: 42 }), "http://localhost");
    expect(url.pathname).toBe("/api/v1/events/stream");
    expect(url.searchParams.get("release")).toBe("r1");
    expect(url.searchParams.get("after")).toBe("42");
    expect(url.searchParams.get("access_token")).toBe("tdm_x+y");
    expect(streamUrl("t")).toBe("/api/v1/events/stream?access_token=t");
  });
});
