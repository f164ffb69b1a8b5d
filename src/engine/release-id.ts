import { randomBytes } from "node:crypto";

/** Crockford's base32 alphabet in lower case (no i, l, o, u): readable and sorts like the numbers it encodes. */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
/** 80 random bits, 16 base32 digits: millions of ids from many processes in one millisecond never meet. */
const RANDOM_DIGITS = 16;

export type ReleaseIdGenerator = (now: number) => string;

/**
 * Ids like `20261207-065628123-<16 base32 digits>`: the UTC date and time to the millisecond first, so ids
 * sort by creation time, then 80 random bits. Within one generator, an id made in the same millisecond as
 * (or a clock step behind) the previous one reuses its time and adds one to its random part (as ULIDs do),
 * so ids from one process stay strictly increasing.
 */
export function releaseIdGenerator(random: (bytes: number) => Uint8Array = randomBytes): ReleaseIdGenerator {
  let lastMs = Number.NEGATIVE_INFINITY;
  let lastRandom: number[] = [];
  return (now) => {
    let digits: number[];
    if (now <= lastMs && increment(lastRandom)) {
      digits = lastRandom;
      now = lastMs;
    } else {
      const bytes = random((RANDOM_DIGITS * 5) / 8);
      digits = [];
      // 10 bytes = 80 bits = 16 digits of 5 bits.
      let acc = 0;
      let bits = 0;
      for (const byte of bytes) {
        acc = (acc << 8) | byte;
        bits += 8;
        while (bits >= 5) {
          bits -= 5;
          digits.push((acc >> bits) & 31);
        }
        acc &= (1 << bits) - 1;
      }
    }
    lastMs = now;
    lastRandom = digits;
    const stamp = new Date(now).toISOString().replace(/[-:.]/g, "").replace("T", "-").slice(0, 18);
    return `${stamp}-${digits.map((d) => ALPHABET[d]).join("")}`;
  };
}

/** Adds one to base-32 `digits` in place; false when they were all at the top (a new random part is drawn). */
function increment(digits: number[]): boolean {
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i]! < 31) {
      digits[i]! += 1;
      return true;
    }
    digits[i] = 0;
  }
  return false;
}

/** The process's generator. */
export const newReleaseId: ReleaseIdGenerator = releaseIdGenerator();
