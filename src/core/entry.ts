import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Path of a compiled entry script (e.g. the router daemon) next to the calling module. Tandem runs
 * from dist/; under vitest the caller is a .ts file in src/, so the compiled twin in dist/ is used
 * (`npm test` builds first).
 */
export function compiledEntry(callerUrl: string, relativeJs: string): string {
  const target = fileURLToPath(new URL(relativeJs, callerUrl));
  if (existsSync(target)) return target;
  const fromDist = target.replace(/([/\\])src([/\\])/, "$1dist$2");
  if (existsSync(fromDist)) return fromDist;
  throw new Error(`compiled entry ${relativeJs} not found next to ${callerUrl}; run \`npm run build\` first`);
}
