import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { NginxConfigSettings } from "./config-text.js";

const ENSURE_SCRIPT = fileURLToPath(new URL("../../../test/support/ensure-nginx.sh", import.meta.url));
const INSTALL_TIMEOUT_MS = 10 * 60_000;

/**
 * The path of a real nginx binary for tests: test/support/ensure-nginx.sh installs Debian's package
 * when it is missing (as root with apt-get) and prints the path on its last line.
 */
export function ensureNginx(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "sh",
      [ENSURE_SCRIPT],
      { timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const binary = stdout.trim().split("\n").at(-1)?.trim();
        if (!error && binary) return resolve(binary);
        const why = stderr.trim().split("\n").slice(-15).join("\n") || String(error?.message);
        reject(new Error(`this test needs nginx and ${ENSURE_SCRIPT} could not provide it:\n${why}`));
      },
    );
  });
}

/** Settings for rendering configurations in tests. */
export const SETTINGS: NginxConfigSettings = {
  name: "shop/staging/api",
  prefix: "/var/lib/tandem/nginx/staging.api",
  host: "127.0.0.1",
  listen: 8080,
  adminPort: 9901,
  workerProcesses: 1,
  clientKeepaliveMs: 0,
  generation: 7,
};
