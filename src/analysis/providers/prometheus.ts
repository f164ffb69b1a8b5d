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
import type { PrometheusProviderConfig } from "./types.js";

const DEFAULT_TIMEOUT_MS = 10_000;

/** A value for a double-quoted PromQL string: backslashes, quotes and newlines escaped. */
export function escapePromQLString(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/**
 * PromQL over Prometheus' HTTP API: an instant query at the look's time. A scalar or a vector of one
 * sample is the value; an empty vector is no data (NaN); several series are an error that names how
 * many (the query must aggregate them, e.g. with `sum(...)`).
 */
export class PrometheusProvider implements MetricProvider {
  readonly type = "prometheus";
  private readonly endpoint: string;
  private readonly timeoutMs: number;

  constructor(readonly config: PrometheusProviderConfig) {
    requireText(config.address, "prometheus provider: address");
    requireText(config.query, "prometheus provider: query");
    checkPlaceholders(config.query, MUSTACHE, "prometheus provider query");
    let base: URL;
    try {
      base = new URL(config.address);
    } catch {
      throw configError(`prometheus provider: address "${config.address}" is not a URL`);
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw configError(`prometheus provider: address "${config.address}" is not http(s)`);
    }
    this.endpoint = `${config.address.replace(/\/+$/, "")}/api/v1/query`;
    this.timeoutMs = durationOption(config.timeout, DEFAULT_TIMEOUT_MS, "prometheus provider timeout");
  }

  async measure(context: MeasureContext): Promise<Measurement> {
    const query = substitute(this.config.query, MUSTACHE, placeholderValues(context), escapePromQLString);
    if (!query.ok) return missingPlaceholderError(context, query.missing);
    const params = new URLSearchParams({ query: query.text, time: (context.now / 1000).toFixed(3) });
    const url = `${this.endpoint}?${params}`;
    const answer = await httpRequest(
      url,
      { method: "GET", headers: { accept: "application/json", ...this.config.headers } },
      this.timeoutMs,
      context.signal,
    );
    const what = `prometheus ${this.config.address}`;
    if (!answer.ok) return failure(context, `${what}: ${answer.reason}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.body);
    } catch {
      const reason =
        answer.status >= 400
          ? statusReason(what, answer.status, answer.body)
          : `${what}: answer is not JSON (HTTP ${answer.status})`;
      return failure(context, reason);
    }
    const result = interpretQueryResponse(parsed);
    if ("error" in result) return failure(context, `${what}: ${result.error} (query: ${query.text})`);
    if (answer.status >= 400) return failure(context, statusReason(what, answer.status, answer.body));
    return measured(context, result.value);
  }
}

/** The number in a `/api/v1/query` answer, or why there is none. Exported for tests. */
export function interpretQueryResponse(body: unknown): { value: number } | { error: string } {
  if (!isObject(body)) return { error: "answer is not a JSON object" };
  if (body.status === "error") {
    return {
      error: `query failed: ${String(body.errorType ?? "error")}: ${String(body.error ?? "")}`.trim(),
    };
  }
  if (body.status !== "success" || !isObject(body.data)) return { error: "answer has no data" };
  const { resultType, result } = body.data;
  if (resultType === "scalar") return sampleValue(result);
  if (resultType === "vector") {
    if (!Array.isArray(result)) return { error: "vector answer has no result list" };
    if (result.length === 0) return { value: Number.NaN };
    if (result.length > 1) {
      return {
        error: `query returned ${result.length} series, expected one (aggregate them, e.g. with sum(...))`,
      };
    }
    const sample = result[0];
    return isObject(sample) ? sampleValue(sample.value) : { error: "vector sample is malformed" };
  }
  if (resultType === "matrix") return { error: "query returned a range vector; write an instant query" };
  return { error: `query returned a ${String(resultType)}, not a number` };
}

function sampleValue(pair: unknown): { value: number } | { error: string } {
  if (!Array.isArray(pair) || typeof pair[1] !== "string") return { error: "sample is malformed" };
  const value = parseMetricNumber(pair[1]);
  return value === undefined ? { error: `sample value "${pair[1]}" is not a number` } : { value };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
