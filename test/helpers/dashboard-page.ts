import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { REPO_ROOT } from "./paths.js";

/** Driving the dashboard in a browser: one context per person, screenshots into test-artifacts/dashboard. */

export const SCREENSHOTS = join(REPO_ROOT, "test-artifacts/dashboard");

/** How long any one condition may take to show on the page. */
export const WAIT_MS = 45_000;

export interface Person {
  page: Page;
  /** Every URL the page requested (to check where the token went). */
  requests: string[];
  /** Messages the page logged to its console, and uncaught page errors. */
  console: string[];
}

/** A fresh browser context (its own sessionStorage), signed in with `token` at `baseUrl`. */
export async function signIn(browser: Browser, baseUrl: string, token: string): Promise<Person> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  const requests: string[] = [];
  const console: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("console", (message) => console.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => console.push(`pageerror: ${error.message}`));
  await page.goto(baseUrl, { timeout: WAIT_MS });
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("who-role").waitFor({ timeout: WAIT_MS });
  return { page, requests, console };
}

/** Waits until the locator's text matches. */
export async function waitForText(locator: Locator, text: RegExp, timeout = WAIT_MS): Promise<string> {
  const deadline = Date.now() + timeout;
  let last = "";
  while (Date.now() < deadline) {
    last = (await locator.textContent({ timeout: Math.max(1, deadline - Date.now()) }).catch(() => "")) ?? "";
    if (text.test(last)) return last;
    await locator.page().waitForTimeout(100);
  }
  throw new Error(`waited ${timeout}ms for ${text} in ${locator}; last text: ${JSON.stringify(last)}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Marks the window: the mark survives everything but a reload or a navigation to another document. */
export async function markWindow(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { __tandemMark?: string }).__tandemMark = "same document";
  });
}

export async function windowIsMarked(page: Page): Promise<boolean> {
  return page.evaluate(
    () => (window as unknown as { __tandemMark?: string }).__tandemMark === "same document",
  );
}
