/**
 * Bounds on a configuration file (tandem.yaml, a version manifest) so that any input, however hostile,
 * is answered quickly with a located error. Documented in docs/configuration-limits.md.
 */
export interface InputLimits {
  /**
   * Bytes in the file (or the inline text): 128 KiB, several times a large configuration (100
   * services take about 20 KB). Parsing and validating run at a few hundred KB a second, so a file
   * of the largest size still loads within a second.
   */
  maxBytes: number;
  /** Characters in one scalar (a key or a value). */
  maxScalarLength: number;
  /** Nesting of mappings and lists, counting those reached through aliases. */
  maxDepth: number;
  /** Values added by aliases: each `*name` adds everything under its anchor, nested aliases expanded. */
  maxAliasExpansion: number;
  /** Issues listed in one error; the rest are counted. */
  maxIssues: number;
}

export const INPUT_LIMITS: Readonly<InputLimits> = Object.freeze({
  maxBytes: 128 * 1024,
  maxScalarLength: 64 * 1024,
  maxDepth: 64,
  maxAliasExpansion: 10_000,
  maxIssues: 50,
});
