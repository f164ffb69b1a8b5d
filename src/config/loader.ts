import { statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ServiceConfig, TandemConfig } from "../core/config.js";
import { ConfigError, type ConfigIssue, TandemError } from "../core/errors.js";
import { documentProblems, serviceProblems } from "./cross-checks.js";
import { environmentPortProblems } from "./environment-ports.js";
import { environmentServices, parseEnvironments, promotionProblems } from "./environments.js";
import { interpolateEnv } from "./interpolate.js";
import { describeIssue, fromZodIssues, type PendingIssue, toConfigIssues } from "./issues.js";
import { lineColumn } from "./locate.js";
import { isPlainObject, mergeServiceDefaults } from "./merge.js";
import { formatPath } from "./path.js";
import { redactSecrets } from "./redact.js";
import { type FileConfig, fileSchema, serviceSchema } from "./schema.js";
import { nameChannels } from "./schema-notifications.js";
import { secretPlacementProblems } from "./secret-placement.js";
import { withSuggestionBudget } from "./suggest.js";
import { parseYamlInput, readInputFile } from "./yaml-input.js";

export const DEFAULT_CONFIG_FILE = "tandem.yaml";
export const INLINE_FILE = "<inline>";

export interface LoadOptions {
  /** Where `${env:NAME}` and `${secret:NAME}` values come from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Directory relative paths resolve against. Default the file's directory. */
  baseDir?: string;
}

/** A service exactly as written (defaults merged, `${env:…}` not yet replaced): safe to store with a release. */
export type ServiceSnapshot = Record<string, unknown>;

export interface RawConfig {
  project: unknown;
  services: Record<string, ServiceSnapshot>;
  /** Each environment's services with its overrides merged, uninterpolated. */
  environments: Record<string, Record<string, ServiceSnapshot>>;
}

export interface LoadedConfig {
  config: TandemConfig;
  raw: RawConfig;
}

/** Edit-distance cells the suggestions of one load may compute (a few milliseconds). */
const SUGGESTION_CELLS = 2_000_000;

export function parseConfigWithRaw(text: string, file: string, options: LoadOptions = {}): LoadedConfig {
  return withSuggestionBudget(SUGGESTION_CELLS, () => parseWithRaw(text, file, options));
}

function parseWithRaw(text: string, file: string, options: LoadOptions): LoadedConfig {
  const absoluteFile = file === INLINE_FILE ? file : resolve(file);
  const baseDir = resolve(options.baseDir ?? (file === INLINE_FILE ? process.cwd() : dirname(absoluteFile)));
  const { document, lineCounter, value: raw } = parseYamlInput(text, absoluteFile, { merge: true });
  if (!isPlainObject(raw)) {
    const message =
      raw === null || raw === undefined
        ? "the file is empty; start with `project: <name>` and a `services:` map (see `tandem init`)"
        : "expected a mapping of fields (project, services, ...) at the top level";
    throw new ConfigError([
      {
        file: absoluteFile,
        ...lineColumn(lineCounter, document.contents?.range?.[0] ?? 0),
        path: "",
        message,
      },
    ]);
  }

  const interpolated = interpolateEnv(raw, options.env ?? process.env);
  const merged = mergeServiceDefaults(interpolated.value);
  const result = fileSchema.safeParse(merged, { error: describeIssue });
  const pending: PendingIssue[] = [
    ...interpolated.problems.map((problem) => ({ ...problem, primary: true })),
    ...secretPlacementProblems(interpolated.secretPaths).map((problem) => ({ ...problem, primary: true })),
    ...documentProblems(merged),
    ...(result.success ? [] : fromZodIssues(result.error.issues)),
  ];
  const rawMerged = mergeServiceDefaults(raw) as { services: Record<string, ServiceSnapshot> };
  // The environments are checked even when something else is wrong, so every mistake is reported at once.
  const environments = result.success ? result.data.environments : parseEnvironments(merged);
  let perEnvironment: ReturnType<typeof environmentServices> | undefined;
  const services = (merged as { services?: unknown }).services;
  if (environments && isPlainObject(services) && isPlainObject(rawMerged.services)) {
    perEnvironment = environmentServices(
      environments,
      services,
      rawMerged.services,
      isPlainObject(raw.environments) ? raw.environments : {},
    );
    pending.push(
      ...perEnvironment.problems,
      ...promotionProblems(environments),
      ...environmentPortProblems(perEnvironment.services, environments),
    );
  }
  if (pending.length > 0 || !result.success || !perEnvironment) {
    throw new ConfigError(toConfigIssues(pending, absoluteFile, document, lineCounter, raw));
  }

  return {
    config: buildConfig(result.data, perEnvironment.services, absoluteFile, baseDir),
    raw: { project: raw.project, services: rawMerged.services, environments: perEnvironment.raw },
  };
}

/** The SQLite file: `<stateDir>/tandem.db` unless `path` is given (relative to the config file). */
function sqlitePath(path: string | undefined, stateDir: string, baseDir: string): string {
  if (path === undefined) return join(stateDir, "tandem.db");
  return path === ":memory:" ? path : resolve(baseDir, path);
}

function buildConfig(
  data: FileConfig,
  perEnvironment: Record<string, Record<string, ServiceConfig>>,
  file: string,
  baseDir: string,
): TandemConfig {
  const services = Object.fromEntries(
    Object.entries(data.services).map(([name, service]) => [name, { name, ...service }]),
  );
  const stateDir = resolve(baseDir, data.stateDir);
  return {
    project: data.project,
    file,
    baseDir,
    stateDir,
    store:
      data.store.type === "postgres"
        ? { type: "postgres", url: data.store.url }
        : { type: "sqlite", path: sqlitePath(data.store.path, stateDir, baseDir) },
    environments: Object.fromEntries(
      Object.entries(data.environments).map(([name, environment]) => [
        name,
        {
          name,
          ...(environment.after === undefined ? {} : { after: environment.after }),
          ...(environment.approval === undefined ? {} : { approval: environment.approval }),
          freeze: environment.freeze,
          hooks: environment.hooks,
          services: { ...services, ...perEnvironment[name] },
        },
      ]),
    ),
    services,
    rollbackPolicy: data.rollbackPolicy,
    hooks: data.hooks,
    analysis: data.analysis,
    notifications: nameChannels(data.notifications),
  } satisfies TandemConfig;
}

/** Parses and validates a configuration text; throws ConfigError listing every problem, located. */
export function parseConfig(text: string, file: string, options: LoadOptions = {}): TandemConfig {
  return parseConfigWithRaw(text, file, options).config;
}

/** Reads a configuration file (or `<dir>/tandem.yaml`); also returns the uninterpolated services. */
export function loadConfigWithRaw(path: string, options: LoadOptions = {}): LoadedConfig {
  const file = resolveConfigFile(path);
  let text: string;
  try {
    text = readInputFile(file);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new TandemError("TANDEM_ERR_CONFIG_NOT_FOUND", `configuration file ${file} not found`, {
        cause: error,
        hint: "run `tandem init` to create a tandem.yaml, or pass its path with --config",
      });
    }
    throw new TandemError("TANDEM_ERR_CONFIG", `cannot read configuration file ${file}`, { cause: error });
  }
  return parseConfigWithRaw(text, file, options);
}

export function loadConfig(path: string = DEFAULT_CONFIG_FILE, options: LoadOptions = {}): TandemConfig {
  return loadConfigWithRaw(path, options).config;
}

function resolveConfigFile(path: string): string {
  const absolute = resolve(path);
  try {
    if (statSync(absolute).isDirectory()) return join(absolute, DEFAULT_CONFIG_FILE);
  } catch {
    // Missing: reported by the caller with a hint.
  }
  return absolute;
}

/**
 * Rebuilds a ServiceConfig from a stored snapshot (`raw.services[name]`), interpolating `${env:…}` from
 * `env` now, so a release stores no secrets and a restarted engine gets the same configuration.
 */
export function parseServiceSnapshot(
  snapshot: unknown,
  name: string,
  options: { env?: NodeJS.ProcessEnv } = {},
): ServiceConfig {
  const interpolated = interpolateEnv(snapshot, options.env ?? process.env);
  const result = serviceSchema.safeParse(interpolated.value, { error: describeIssue });
  const problems = [
    ...interpolated.problems,
    ...serviceProblems(name, interpolated.value, []),
    ...(result.success ? [] : fromZodIssues(result.error.issues)),
  ];
  if (problems.length > 0 || !result.success) {
    const file = `<snapshot of service "${name}">`;
    const issues: ConfigIssue[] = problems.map((problem) => ({
      file,
      line: 0,
      column: 0,
      path: formatPath(["services", name, ...problem.path]),
      message: redactSecrets(problem.message),
    }));
    throw new ConfigError(issues);
  }
  return { name, ...result.data };
}
