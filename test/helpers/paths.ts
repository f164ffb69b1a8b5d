import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (test/helpers/../..). */
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The compiled CLI, as `npm run build` writes it; system tests run it as a user would. */
export const CLI_ENTRY = join(REPO_ROOT, "dist/cli/main.js");

/** The demo service's version directories (1.0.0 good, 1.1.0 faster, 2.0.0 unhealthy, 2.1.0 5% errors). */
export const DEMO_APP_DIR = join(REPO_ROOT, "examples/demo/app");

/** The demo service's server, run with its version directory as working directory. */
export const DEMO_SERVER = join(DEMO_APP_DIR, "server.mjs");

export function assertCliBuilt(): void {
  if (!existsSync(CLI_ENTRY)) {
    throw new Error(`${CLI_ENTRY} does not exist: run \`npm run build\` before the system tests`);
  }
}
