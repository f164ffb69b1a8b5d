import type { EnvironmentConfig, ServiceConfig } from "../core/config.js";
import { dependencyProblems, serviceProblems } from "./cross-checks.js";
import { describeIssue, fromZodIssues, type PendingIssue } from "./issues.js";
import { deepMerge, isPlainObject, mergesWithDefault, type PlainObject } from "./merge.js";
import { type CrossFieldProblem, formatPath, type PathSegment } from "./path.js";
import { fileSchema, serviceSchema } from "./schema.js";
import { unknownNameMessage } from "./suggest.js";

/**
 * Per-environment overrides: `environments.production.services.api` may change any field of `api`
 * (replicas, ports, env vars, strategy...). Objects merge key by key; a target or router of another
 * `type`, another strategy, and lists replace what they override.
 */
export function applyOverride(service: unknown, override: unknown): unknown {
  if (!isPlainObject(service) || !isPlainObject(override)) return service;
  const merged: PlainObject = { ...service };
  for (const [field, value] of Object.entries(override)) {
    const base = service[field];
    if (field === "router" || field === "target" || field === "strategy") {
      merged[field] = mergesWithDefault(field, base, value)
        ? deepMerge(base as PlainObject, value as PlainObject)
        : value;
    } else if (isPlainObject(base) && isPlainObject(value)) {
      merged[field] = deepMerge(base, value);
    } else merged[field] = value;
  }
  return merged;
}

/** How deep `path` exists in `value` (0 when not even its first segment does). */
function depthIn(value: unknown, path: readonly PathSegment[]): number {
  let current = value;
  let depth = 0;
  for (const segment of path) {
    if (!isPlainObject(current) && !Array.isArray(current)) break;
    const next = (current as Record<string | number, unknown>)[segment];
    if (next === undefined) break;
    current = next;
    depth++;
  }
  return depth;
}

type ParsedEnvironments = Record<string, { services: Record<string, Record<string, unknown>> }>;

export interface EnvironmentServices {
  /** Every service of each environment (overrides merged), for those that are valid. */
  services: Record<string, Record<string, ServiceConfig>>;
  /** The same, uninterpolated (safe to store with a release). */
  raw: Record<string, Record<string, PlainObject>>;
  problems: PendingIssue[];
}

const problemKey = (problem: { path: readonly PathSegment[]; message: string }): string =>
  `${formatPath(problem.path)}\n${problem.message}`;

/** The problems of one service as the document checks and the schema see it, paths relative to it. */
function serviceIssues(name: string, service: unknown): { parsed?: ServiceConfig; problems: PendingIssue[] } {
  const parsed = serviceSchema.safeParse(service, { error: describeIssue });
  const problems: PendingIssue[] = serviceProblems(name, service, []).map((problem: CrossFieldProblem) => ({
    path: problem.path,
    message: problem.message,
    atKey: problem.atKey,
  }));
  if (!parsed.success) return { problems: [...problems, ...fromZodIssues(parsed.error.issues)] };
  return { parsed: { name, ...parsed.data }, problems };
}

/**
 * Builds every environment's services. A problem of a merged service is reported where it was written:
 * in the override when the override set that field, else in the service itself (where the document's
 * own checks already report it). A problem that only the combination has is reported at the override.
 */
export function environmentServices(
  environments: ParsedEnvironments,
  /** The interpolated, defaults-merged services. */
  services: Record<string, unknown>,
  /** The same before interpolation. */
  rawServices: Record<string, unknown>,
  rawEnvironments: Record<string, unknown>,
): EnvironmentServices {
  const result: EnvironmentServices = { services: {}, raw: {}, problems: [] };
  const names = Object.keys(services);
  const baseIssues = new Map(names.map((name) => [name, serviceIssues(name, services[name])]));
  const baseDependencyProblems = new Set(dependencyProblems(services).map(problemKey));
  for (const [envName, environment] of Object.entries(environments)) {
    const at = (...path: PathSegment[]): PathSegment[] => ["environments", envName, "services", ...path];
    const rawOverrides = rawEnvironmentServices(rawEnvironments[envName]);
    const mergedServices: Record<string, unknown> = {};
    result.services[envName] = {};
    result.raw[envName] = {};
    for (const name of Object.keys(environment.services)) {
      if (!names.includes(name)) {
        result.problems.push({
          path: at(name),
          atKey: true,
          primary: true,
          message: `${unknownNameMessage("service", name, names)} (an override changes a service declared under services)`,
        });
      }
    }
    for (const [name, service] of Object.entries(services)) {
      const override = environment.services[name];
      const rawService = rawServices[name];
      result.raw[envName][name] = (
        override ? applyOverride(rawService, rawOverrides[name]) : rawService
      ) as PlainObject;
      mergedServices[name] = override ? applyOverride(service, override) : service;
      const { parsed, problems } = override
        ? serviceIssues(name, mergedServices[name])
        : baseIssues.get(name)!;
      if (parsed) result.services[envName][name] = parsed;
      if (!override) continue; // the document's own checks report the service's problems
      const known = new Set(baseIssues.get(name)!.problems.map(problemKey));
      for (const problem of problems) {
        if (
          depthIn(override, problem.path) > 0 &&
          depthIn(override, problem.path) >= depthIn(service, problem.path)
        ) {
          result.problems.push({ ...problem, path: at(name, ...problem.path) });
        } else if (!known.has(problemKey(problem))) {
          result.problems.push({
            path: at(name),
            atKey: true,
            message: `with this environment's overrides, ${formatPath(["services", name, ...problem.path])}: ${problem.message}`,
          });
        }
      }
    }
    for (const problem of dependencyProblems(mergedServices)) {
      if (baseDependencyProblems.has(problemKey(problem))) continue;
      const [, name, , ...rest] = problem.path as [string, string, string, ...PathSegment[]];
      const override = environment.services[name];
      if (isPlainObject(override) && override.dependsOn !== undefined) {
        result.problems.push({
          path: at(name, "dependsOn", ...rest),
          message: problem.message,
          atKey: problem.atKey,
        });
      } else {
        result.problems.push({
          path: isPlainObject(override) ? at(name) : ["environments", envName, "services"],
          atKey: true,
          message: `with this environment's overrides, ${formatPath(problem.path)}: ${problem.message}`,
        });
      }
    }
  }
  return result;
}

function rawEnvironmentServices(environment: unknown): Record<string, unknown> {
  if (!isPlainObject(environment) || !isPlainObject(environment.services)) return {};
  return environment.services;
}

/** The `environments` section on its own, so its checks run even when another part of the file is invalid. */
export function parseEnvironments(
  document: unknown,
): Record<string, Pick<EnvironmentConfig, "after"> & ParsedEnvironments[string]> | undefined {
  const environments = isPlainObject(document) ? document.environments : undefined;
  const parsed = fileSchema.shape.environments.safeParse(environments, { error: describeIssue });
  return parsed.success ? parsed.data : undefined;
}

/** `after` must name another environment, and the chain of `after` must not loop. */
export function promotionProblems(
  environments: Record<string, Pick<EnvironmentConfig, "after">>,
): PendingIssue[] {
  const names = Object.keys(environments);
  const problems: PendingIssue[] = [];
  for (const [name, environment] of Object.entries(environments)) {
    const after = environment.after;
    if (after === undefined) continue;
    const path: PathSegment[] = ["environments", name, "after"];
    if (after === name) problems.push({ path, message: `environment "${name}" cannot come after itself` });
    else if (!names.includes(after))
      problems.push({ path, message: unknownNameMessage("environment", after, names) });
    else {
      const seen = new Set([name]);
      let current: string | undefined = after;
      while (current !== undefined && !seen.has(current)) {
        seen.add(current);
        current = environments[current]?.after;
      }
      // An environment that only leads into a cycle is fine; the cycle is reported at its members.
      if (current === name) {
        problems.push({
          path,
          message: `promotion cycle: ${[...seen, current].join(" -> ")}; no release could ever enter them`,
        });
      }
    }
  }
  return problems;
}
