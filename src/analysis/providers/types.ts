/**
 * Configuration of the metric providers (issue 4). Every provider returns a Measurement from
 * `measure(context)` and never throws for a failed measurement: `error` says why. Durations (`timeout`)
 * are milliseconds or strings such as `"10s"`.
 */

/** PromQL over HTTP (`GET <address>/api/v1/query?query=...&time=...`). */
export interface PrometheusProviderConfig {
  type: "prometheus";
  /** Base URL of the Prometheus server, e.g. `http://127.0.0.1:9090` (a path prefix is kept). */
  address: string;
  /**
   * An instant query whose result is one number. `{{canaryVersion}}`, `{{baselineVersion}}`,
   * `{{service}}`, `{{environment}}`, `{{project}}` and `{{window}}` (e.g. `30s`) are replaced; versions
   * and names are escaped for a double-quoted PromQL string.
   */
  query: string;
  /** Extra request headers (e.g. `Authorization`). */
  headers?: Record<string, string>;
  /** Default 10s. */
  timeout?: number | string;
}

/** An HTTP endpoint answering JSON; a JSONPath picks the number. */
export interface WebProviderConfig {
  type: "web";
  /** `{{canaryVersion}}` etc. are replaced (URL-encoded). */
  url: string;
  /** Default GET. */
  method?: "GET" | "POST";
  /** `{{...}}` placeholders are replaced in the values. */
  headers?: Record<string, string>;
  /** A string is sent as is (placeholders replaced); anything else as JSON. */
  body?: unknown;
  /** e.g. `$.data.errorRate`: must match exactly one number, numeric string, boolean (1/0) or null (no data). */
  jsonPath: string;
  /** Default 10s. */
  timeout?: number | string;
}

/** A command; its printed number or exit status is the measurement. */
export interface JobProviderConfig {
  type: "job";
  /**
   * argv, run without a shell; `${canaryVersion}`, `${baselineVersion}`, `${service}`,
   * `${environment}`, `${project}` and `${window}` are replaced in each element, which stays one
   * argument whatever it contains. With `shell: true`: one string given to `sh -c`, and the same names
   * are environment variables there (so `${canaryVersion}` is expanded by the shell, never pasted in).
   */
  command: string[] | string;
  /** Default false. */
  shell?: boolean;
  /** Default 60s; the command's whole process group is killed then. */
  timeout?: number | string;
  /** Working directory (placeholders replaced); default the current one. */
  cwd?: string;
  /** Added to the inherited environment. */
  env?: Record<string, string>;
}

/** CPU or memory of the new version's instances, read from Linux's /proc. */
export interface ResourcesProviderConfig {
  type: "resources";
  /** `cpu`: percent of one core over the window (200 = two cores busy); `rss`: resident memory in bytes. */
  metric: "cpu" | "rss";
  /** Across the canary's instances. Default `max`. */
  aggregate?: "max" | "sum" | "avg";
  /**
   * CPU is measured since the previous look at the same process; on the first look, over this span
   * (capped by the window). Default 1s.
   */
  sampleMs?: number | string;
}

export type ProviderConfig =
  | PrometheusProviderConfig
  | WebProviderConfig
  | JobProviderConfig
  | ResourcesProviderConfig;

export type ProviderType = ProviderConfig["type"];

/** What providers need from the rest of Tandem. */
export interface ProviderDeps {
  /** The pids of a version's running instances (the `resources` provider needs it). */
  instancePids?: (service: string, version: string, signal: AbortSignal) => Promise<number[]>;
}
