import { StringDecoder } from "node:string_decoder";

/**
 * Masking of secret values in text, with no registry of its own: used by `redact.ts` (the process's
 * registry of secrets) and by the hook daemon, which gets its list from the runner.
 */

/**
 * The environment variable through which the engine hands a detached supervisor (the hook daemon, the
 * process target's log masker) the secret values to mask in a log (a JSON list of strings). The
 * supervisor removes it before it starts anything else.
 */
export const MASK_ENV = "TANDEM_MASK_SECRETS";

/** The values to mask, from a supervisor's environment (an empty list when there are none). */
export function maskFromEnv(env: NodeJS.ProcessEnv): string[] {
  try {
    const parsed: unknown = JSON.parse(env[MASK_ENV] ?? "[]");
    return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === "string") : [];
  } catch {
    return [];
  }
}

/** Values shorter than this are never masked (they would turn ordinary words into `***`). */
export const MIN_SECRET_LENGTH = 4;
export const MASK = "***";

/** `text` with every occurrence of each secret replaced by `***`, the longest secret first. */
export function maskText(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= MIN_SECRET_LENGTH && result.includes(secret))
      result = result.split(secret).join(MASK);
  }
  return result;
}

/** A partial line is written out once it is this long (keeping back what could be half a secret). */
const MAX_PENDING_CHARS = 8_192;

/**
 * Masks a stream of process output on its way to a file. Complete lines are masked and written; the
 * end of an unfinished line waits for more (at most MAX_PENDING_CHARS, then all but the last
 * `longest secret - 1` characters are written), so a secret split across two chunks is still masked.
 * `flush()` writes what is pending (call it when the stream ends, or when the output went quiet).
 */
export class MaskingWriter {
  private pending = "";
  private readonly decoder = new StringDecoder("utf8");
  private readonly holdBack: number;

  constructor(
    private readonly secrets: readonly string[],
    private readonly write: (text: string) => void,
  ) {
    const longest = secrets.reduce((max, secret) => Math.max(max, secret.length), 0);
    this.holdBack = Math.max(0, longest - 1);
  }

  push(chunk: Buffer | string): void {
    this.pending += typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    const newline = this.pending.lastIndexOf("\n");
    if (newline >= 0) {
      this.emit(this.pending.slice(0, newline + 1));
      this.pending = this.pending.slice(newline + 1);
    }
    if (this.pending.length > MAX_PENDING_CHARS) this.emitPartial();
  }

  /** Writes the pending partial line, keeping back what could be the start of a secret. */
  emitPartial(): void {
    const masked = maskText(this.pending, this.secrets);
    const cut = masked.length - this.holdBack;
    if (cut <= 0) return;
    this.pending = masked.slice(cut);
    this.write(masked.slice(0, cut));
  }

  /** Writes everything pending (the stream ended). */
  flush(): void {
    this.pending += this.decoder.end();
    if (this.pending !== "") this.emit(this.pending);
    this.pending = "";
  }

  private emit(text: string): void {
    this.write(maskText(text, this.secrets));
  }
}
