import { describe, expect, it } from "vitest";
import { MaskingWriter, maskText } from "./mask.js";

const SECRET = "s3cr3t-value-42";

function writer(secrets: string[] = [SECRET]) {
  const written: string[] = [];
  return { out: new MaskingWriter(secrets, (text) => written.push(text)), written };
}

describe("maskText", () => {
  it("masks the longest secret first and never values under 4 characters", () => {
    expect(maskText("abc abcd abcdef", ["abc", "abcd", "abcdef"])).toBe("abc *** ***");
  });
});

describe("MaskingWriter", () => {
  it("masks a secret cut across chunks, and in multi-byte text cut inside a character", () => {
    const { out, written } = writer();
    const bytes = Buffer.from(`é ${SECRET} ü\n`);
    for (let i = 0; i < bytes.length; i++) out.push(bytes.subarray(i, i + 1));
    out.flush();
    expect(written.join("")).toBe("é *** ü\n");
  });

  it("writes complete lines at once and keeps an unfinished line until more comes or it ends", () => {
    const { out, written } = writer();
    out.push(`one ${SECRET}\ntwo ${SECRET.slice(0, 5)}`);
    expect(written.join("")).toBe("one ***\n");
    out.push(SECRET.slice(5));
    out.flush();
    expect(written.join("")).toBe("one ***\ntwo ***");
  });

  it("writes a long unfinished line, keeping back only what could be the start of a secret", () => {
    const { out, written } = writer();
    out.push("x".repeat(10_000) + SECRET.slice(0, 6));
    expect(written.join("")).toBe("x".repeat(10_000 - (SECRET.length - 1 - 6)));
    out.push(`${SECRET.slice(6)} end`);
    out.flush();
    expect(written.join("")).toBe(`${"x".repeat(10_000)}*** end`);
    expect(written.join("")).not.toContain(SECRET.slice(0, 6));
  });

  it("emitPartial writes a quiet partial line but holds back a possible secret prefix", () => {
    const { out, written } = writer();
    out.push(`progress 50% ${SECRET.slice(0, 3)}`);
    out.emitPartial();
    // All but the last `SECRET.length - 1` characters: those could be the start of the secret.
    expect(written.join("")).toBe("pr");
    out.push(`${SECRET.slice(3)} and more text after it`);
    out.emitPartial();
    out.flush();
    expect(written.join("")).toBe("progress 50% *** and more text after it");
  });
});
