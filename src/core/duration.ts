import { TandemError } from "./errors.js";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const COMPOUND = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

/** Parses `500ms`, `30s`, `5m`, `1h30m`, `2d` into milliseconds. Numbers are taken as milliseconds. */
export function parseDuration(input: string | number): number {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) throw invalid(String(input));
    return input;
  }
  const text = input.trim();
  if (!COMPOUND.test(text)) throw invalid(input);
  let total = 0;
  for (const part of text.match(/\d+(?:\.\d+)?(?:ms|s|m|h|d)/g) ?? []) {
    const match = DURATION.exec(part);
    if (!match) throw invalid(input);
    total += Number(match[1]) * (UNIT_MS[match[2]!] ?? 0);
  }
  return Math.round(total);
}

export function isDuration(input: string): boolean {
  return COMPOUND.test(input.trim());
}

/** Formats milliseconds for people: `450ms`, `12s`, `5m30s`, `2h`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return [h ? `${h}h` : "", m ? `${m}m` : "", s || (!h && !m) ? `${s}s` : ""].join("");
}

function invalid(input: string): TandemError {
  return new TandemError("TANDEM_ERR_CONFIG", `invalid duration "${input}"`, {
    hint: 'write a number followed by a unit: "500ms", "30s", "5m", "1h"',
  });
}
