import { type Browser, chromium } from "playwright-core";
import { ensureDebianProgram } from "./debian-program.js";

/** A real Chromium for browser tests (Debian's package, installed when missing). */
export const ensureChromium = (): Promise<string> => ensureDebianProgram("chromium");

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
