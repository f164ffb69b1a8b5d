import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const INSTALL_TIMEOUT_MS = 10 * 60_000;

/**
 * The path of a real program for system tests: `test/support/ensure-<name>.sh` installs Debian's package
 * when it is missing (as root with apt-get) and prints the path on its last line. Rejects with the
 * script's last words when it cannot, saying what the test needed.
 */
export function ensureDebianProgram(
  name: "nginx" | "prometheus" | "chromium" | "zsh" | "fish",
): Promise<string> {
  const script = fileURLToPath(new URL(`../support/ensure-${name}.sh`, import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(
      "sh",
      [script],
      { timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const binary = stdout.trim().split("\n").at(-1)?.trim();
        if (!error && binary) return resolve(binary);
        const why = stderr.trim().split("\n").slice(-15).join("\n") || String(error?.message);
        reject(
          new Error(
            `this test needs ${name} and ${script} could not provide it ` +
              `(it installs Debian's package as root with apt-get):\n${why}`,
          ),
        );
      },
    );
  });
}
