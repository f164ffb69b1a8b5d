import { JSONPath } from "jsonpath-plus";
import type { MeasureContext, Measurement, MetricProvider } from "../types.js";
import {
  checkPlaceholders,
  configError,
  durationOption,
  failure,
  MUSTACHE,
  measured,
  missingPlaceholderError,
  parseMetricNumber,
  placeholderValues,
  requireText,
  substitute,
} from "./common.js";
import { httpRequest, statusReason } from "./http.js";
import type { WebProviderConfig } from "./types.js";

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * An HTTP endpoint answering JSON. A 2xx answer whose JSONPath matches exactly one number (or numeric
 * string; a boolean counts as 1 or 0) is the value; `null` there is no data (NaN). Any other status, a
 * body that is not JSON, a path that matches nothing or several things: an error saying which.
 */
export class WebProvider implements MetricProvider {
  readonly type = "web";
  private readonly timeoutMs: number;
  private readonly method: "GET" | "POST";

  constructor(readonly config: WebProviderConfig) {
    requireText(config.url, "web provider: url");
    requireText(config.jsonPath, "web provider: jsonPath");
    checkPlaceholders(config.url, MUSTACHE, "web provider url");
    for (const [name, value] of Object.entries(config.headers ?? {})) {
      checkPlaceholders(value, MUSTACHE, `web provider header ${name}`);
    }
    if (typeof config.body === "string") checkPlaceholders(config.body, MUSTACHE, "web provider body");
    this.method = config.method ?? "GET";
    if (this.method !== "GET" && this.method !== "POST") {
      throw configError(`web provider: method must be GET or POST, not ${String(this.method)}`);
    }
    if (this.method === "GET" && config.body !== undefined) {
      throw configError("web provider: a GET request has no body; use method: POST");
    }
    this.timeoutMs = durationOption(config.timeout, DEFAULT_TIMEOUT_MS, "web provider timeout");
  }

  async measure(context: MeasureContext): Promise<Measurement> {
    const values = placeholderValues(context);
    const url = substitute(this.config.url, MUSTACHE, values, encodeURIComponent);
    if (!url.ok) return missingPlaceholderError(context, url.missing);
    const headers: Record<string, string> = { accept: "application/json" };
    for (const [name, template] of Object.entries(this.config.headers ?? {})) {
      const value = substitute(template, MUSTACHE, values);
      if (!value.ok) return missingPlaceholderError(context, value.missing);
      headers[name] = value.text;
    }
    let body: string | undefined;
    if (typeof this.config.body === "string") {
      const text = substitute(this.config.body, MUSTACHE, values);
      if (!text.ok) return missingPlaceholderError(context, text.missing);
      body = text.text;
    } else if (this.config.body !== undefined) {
      body = JSON.stringify(this.config.body);
      if (!Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) {
        headers["content-type"] = "application/json";
      }
    }

    const what = `${this.method} ${url.text}`;
    const answer = await httpRequest(
      url.text,
      { method: this.method, headers, body },
      this.timeoutMs,
      context.signal,
    );
    if (!answer.ok) return failure(context, answer.reason);
    if (answer.status < 200 || answer.status > 299) {
      return failure(context, statusReason(what, answer.status, answer.body));
    }
    let json: unknown;
    try {
      json = JSON.parse(answer.body);
    } catch (error) {
      return failure(context, `${what}: answer is not JSON (${(error as Error).message})`);
    }
    const picked = pickNumber(json, this.config.jsonPath);
    return "error" in picked ? failure(context, `${what}: ${picked.error}`) : measured(context, picked.value);
  }
}

/** The one number at `path` in `json`, or why there is none. Exported for tests. */
export function pickNumber(json: unknown, path: string): { value: number } | { error: string } {
  let matches: unknown[];
  try {
    matches = JSONPath({ path, json: json as object, wrap: true, eval: "safe" }) as unknown[];
  } catch (error) {
    return { error: `jsonPath ${path} is invalid: ${(error as Error).message}` };
  }
  if (!Array.isArray(matches) || matches.length === 0) return { error: `jsonPath ${path} matched nothing` };
  if (matches.length > 1) return { error: `jsonPath ${path} matched ${matches.length} values, expected one` };
  const found = matches[0];
  if (found === null) return { value: Number.NaN };
  if (typeof found === "number") return { value: found };
  if (typeof found === "boolean") return { value: found ? 1 : 0 };
  if (typeof found === "string") {
    const value = parseMetricNumber(found);
    if (value !== undefined) return { value };
    return { error: `jsonPath ${path} is the string ${JSON.stringify(found.slice(0, 80))}, not a number` };
  }
  return { error: `jsonPath ${path} is ${Array.isArray(found) ? "an array" : "an object"}, not a number` };
}
