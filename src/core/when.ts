import { isDuration, parseDuration } from "./duration.js";
import { TandemError } from "./errors.js";

/**
 * `--since` / `--until`: a duration back from now (`30d`, `12h`) or an ISO 8601 date
 * (`2026-03-01`, `2026-03-01T12:00:00Z`; without an offset, UTC).
 */
export function parseWhen(flag: string, text: string, now: number): number {
  const trimmed = text.trim();
  if (isDuration(trimmed)) return now - parseDuration(trimmed);
  const date = DATE.exec(trimmed);
  const at = date ? Date.parse(`${date[1]}T${date[2] ?? "00:00:00"}${date[3] ?? "Z"}`) : Number.NaN;
  if (!Number.isFinite(at)) {
    throw new TandemError(
      "TANDEM_ERR_INVALID_REQUEST",
      `${flag} "${text}" is neither a duration nor a date`,
      {
        hint: `write a duration back from now (${flag} 30d) or a date (${flag} 2026-03-01)`,
      },
    );
  }
  return at;
}

const DATE = /^(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d(?::\d\d(?:\.\d+)?)?))?(Z|[+-]\d\d:?\d\d)?$/;
