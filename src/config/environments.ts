import type { EnvironmentConfig, ServiceConfig } from "../core/config.js";
import type { CrossFieldProblem } from "./cross-checks.js";
import { serviceProblems } from "./cross-checks.js";
import { describeIssue, fromZodIssues, type PendingIssue } from "./issues.js";
import type { PathSegment } from "./locate.js";
import { deepMerge, isPlainObject, mergesWithDefault, type PlainObject } from "./merge.js";
import { serviceSchema } from "./schema.js";
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

export interface EnvironmentServices {
  /** Parsed services of each environment (overrides merged). */
  services: Record<string, Record<string, ServiceConfig>>;
  /** The same, uninterpolated (safe to store with a release). */
  raw: Record<string, Record<string, PlainObject>>;
  problems: PendingIssue[];
}

/**
 * Builds every environment's services. A problem in a merged service is reported where it was written:
 * in the override when the override set that field, else in the service itself.
 */
export function environmentServices(
  environments: Record<string, { services: Record<string, Record<string, unknown>> }>,
  /** The interpolated, defaults-merged services. */
  services: Record<string, unknown>,
  /** The same before interpolation. */
  rawServices: Record<string, unknown>,
  rawEnvironments: Record<string, unknown>,
): EnvironmentServices {
  const result: EnvironmentServices = { services: {}, raw: {}, problems: [] };
  for (const [envName, environment] of Object.entries(environments)) {
    const rawOverrides = rawEnvironmentServices(rawEnvironments[envName]);
    result.services[envName] = {};
    result.raw[envName] = {};
    for (const name of Object.keys(environment.services)) {
      if (!(name in services)) {
        result.problems.push({
          path: ["environments", envName, "services", name],
          atKey: true,
          primary: true,
          message: `${unknownNameMessage("service", name, Object.keys(services))}; an override names a service of this file`,
        });
      }
    }
    for (const [name, service] of Object.entries(services)) {
      const override = environment.services[name];
      result.raw[envName][name] = (
        override ? applyOverride(rawServices[name], rawOverrides[name]) : rawServices[name]
      ) as PlainObject;
      if (!override) continue;
      const merged = applyOverride(service, override);
      const where = (path: readonly PathSegment[]): PathSegment[] =>
        depthIn(override, path) > 0
          ? ["environments", envName, "services", name, ...path]
          : ["services", name, ...path];
      const parsed = serviceSchema.safeParse(merged, { error: describeIssue });
      const crossProblems: CrossFieldProblem[] = serviceProblems(name, merged, []);
      for (const problem of crossProblems) {
        result.problems.push({ path: where(problem.path), message: problem.message, atKey: problem.atKey });
      }
      if (!parsed.success) {
        for (const issue of fromZodIssues(parsed.error.issues)) {
          result.problems.push({ ...issue, path: where(issue.path.slice(0)) });
        }
        continue;
      }
      result.services[envName][name] = { name, ...parsed.data };
    }
  }
  return result;
}

function rawEnvironmentServices(environment: unknown): Record<string, unknown> {
  if (!isPlainObject(environment) || !isPlainObject(environment.services)) return {};
  return environment.services;
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
      if (current !== undefined) {
        problems.push({
          path,
          message: `promotion cycle: ${[...seen, current].join(" -> ")}; no release could ever enter them`,
        });
      }
    }
  }
  return problems;
}
