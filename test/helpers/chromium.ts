import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";

const ENSURE_SCRIPT = fileURLToPath(new URL("../support/ensure-chromium.sh", import.meta.url));
const INSTALL_TIMEOUT_MS = 10 * 60_000;

/**
 * The path of a real Chromium for browser tests: test/support/ensure-chromium.sh installs Debian's
 * package when it is missing (as root with apt-get) and prints the path on its last line.
 */
export function ensureChromium(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "sh",
      [ENSURE_SCRIPT],
      { timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const binary = stdout.trim().split("\n").at(-1)?.trim();
        if (!error && binary) return resolve(binary);
        const why = stderr.trim().split("\n").slice(-15).join("\n") || String(error?.message);
        reject(new Error(`this test needs chromium and ${ENSURE_SCRIPT} could not provide it:\n${why}`));
      },
    );
  });
}

/** Headless Chromium that reaches nothing but loopback: no downloads, no updates, no sync. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    timeout: 60_000,
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}
