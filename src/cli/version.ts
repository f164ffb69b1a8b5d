import { readFileSync } from "node:fs";

/** The version of the tandem-deploy package (package.json, two levels above src/cli and dist/cli). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;
