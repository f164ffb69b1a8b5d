import type { Status } from "./types";

/** Formatting for people: durations, rates, times and the colour family of a status. */

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)}ms`;
  if (abs < 60_000) return `${trim(ms / 1000)}s`;
  if (abs < 3_600_000) return `${trim(ms / 60_000)}m`;
  if (abs < 86_400_000) return `${trim(ms / 3_600_000)}h`;
  return `${trim(ms / 86_400_000)}d`;
}

function trim(value: number): string {
  return value >= 10 ? String(Math.round(value)) : String(Math.round(value * 10) / 10);
}

export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return "–";
  const percent = rate * 100;
  return `${percent >= 10 || percent === 0 ? Math.round(percent) : Math.round(percent * 10) / 10}%`;
}

/** A measured value: short, whatever its size. */
export function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1000) return String(Math.round(value));
  if (abs >= 1) return String(Math.round(value * 100) / 100);
  return String(Number(value.toPrecision(2)));
}

/** `2026-12-01 10:15:03` in UTC, the same for every reader. */
export function formatTime(at: number | undefined): string {
  if (at === undefined || !Number.isFinite(at)) return "–";
  return new Date(at).toISOString().replace("T", " ").slice(0, 19);
}

export type Tone = "ok" | "bad" | "warn" | "active" | "waiting";

/** The colour family a status is shown in. */
export function statusTone(status: Status): Tone {
  switch (status) {
    case "succeeded":
      return "ok";
    case "failed":
    case "rolled_back":
      return "bad";
    case "aborted":
      return "warn";
    case "awaiting_approval":
    case "paused":
    case "pending":
      return "waiting";
    default:
      return "active";
  }
}

export function statusLabel(status: Status): string {
  return status.replace(/_/g, " ");
}
