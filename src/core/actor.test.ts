import { describe, expect, it } from "vitest";
import { normalizeActor, sameActor } from "./actor.js";

describe("normalizeActor", () => {
  it("folds case, surrounding blanks and Unicode compatibility forms into one name", () => {
    expect(normalizeActor("Alice")).toBe("alice");
    expect(normalizeActor("  alice \t")).toBe("alice");
    expect(normalizeActor("ＡＬＩＣＥ")).toBe("alice");
    expect(normalizeActor("\u3000Alice\u3000")).toBe("alice");
    expect(normalizeActor("ci-bot.prod")).toBe("ci-bot.prod");
  });

  it("keeps different people different", () => {
    expect(sameActor("Alice", " alice ")).toBe(true);
    expect(sameActor("alice", "alicia")).toBe(false);
    expect(sameActor("al ice", "alice")).toBe(false);
  });
});
