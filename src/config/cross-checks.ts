import { analysisProblems } from "./analysis-checks.js";
import { isPlainObject } from "./merge.js";
import type { CrossFieldProblem, PathSegment } from "./path.js";
import { unknownNameMessage } from "./suggest.js";

/**
 * Checks that span fields or services. They run on the defaults-merged document before (and
 * independently of) the schema, so a file with several mistakes reports all of them at once.
 */

const NEEDS_ROUTER = ["canary", "blueGreen"] as const;

/** Canary and blue-green move traffic, so they need a router that can (or a target that does it itself). */
export function serviceProblems(name: string, service: unknown, prefix: PathSegment[]): CrossFieldProblem[] {
  if (!isPlainObject(service) || !isPlainObject(service.strategy)) return [];
  const router = service.router;
  const routerType = isPlainObject(router) ? router.type : undefined;
  if (router !== undefined && routerType !== "none") return [];
  // A command target with a setWeight command moves traffic itself (the user's own router).
  const target = service.target;
  if (isPlainObject(target) && target.type === "command" && target.setWeight !== undefined) return [];
  const problems: CrossFieldProblem[] = [];
  for (const strategy of NEEDS_ROUTER) {
    if (!(strategy in service.strategy)) continue;
    problems.push({
      path: [...prefix, "strategy", strategy],
      atKey: true,
      message:
        `${strategy} shifts traffic between versions, so service "${name}" needs a router: ` +
        "add `router: { type: builtin, listen: <port> }` to the service (or to defaults), or use the rolling or recreate strategy",
    });
  }
  return problems;
}

/** Unknown, self, duplicate and cyclic dependencies, and `{ service, step }` naming no step of that service. */
export function dependencyProblems(services: Record<string, unknown>): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  const names = Object.keys(services);
  const graph = new Map<string, string[]>();
  for (const [name, service] of Object.entries(services)) {
    const dependsOn = isPlainObject(service) ? service.dependsOn : undefined;
    if (!Array.isArray(dependsOn)) continue;
    const valid: string[] = [];
    dependsOn.forEach((entry, index) => {
      const dependency = typeof entry === "string" ? entry : isPlainObject(entry) ? entry.service : undefined;
      if (typeof dependency !== "string") return;
      const path = ["services", name, "dependsOn", index];
      const step = isPlainObject(entry) ? entry.step : undefined;
      if (
        typeof step === "string" &&
        names.includes(dependency) &&
        !stepNames(services[dependency]).includes(step)
      ) {
        const known = stepNames(services[dependency]);
        problems.push({
          path: [...path, "step"],
          message: `${unknownNameMessage(`step of ${dependency}`, step, known)}; name a canary step of ${dependency}, e.g. \`- { setWeight: 50, name: ${step} }\``,
        });
      }
      if (dependency === name) problems.push({ path, message: `service "${name}" cannot depend on itself` });
      else if (!names.includes(dependency)) {
        problems.push({ path, message: `${unknownNameMessage("service", dependency, names)}` });
      } else if (valid.includes(dependency))
        problems.push({ path, message: `"${dependency}" is listed twice` });
      else valid.push(dependency);
    });
    graph.set(name, valid);
  }
  const cycle = findCycle(graph);
  if (cycle) {
    problems.push({
      path: ["services", cycle[0]!, "dependsOn"],
      atKey: true,
      message: `dependency cycle: ${cycle.join(" -> ")}; the services could never start in order`,
    });
  }
  return problems;
}

/** Names given to a service's canary steps (other strategies have no named steps). */
function stepNames(service: unknown): string[] {
  if (!isPlainObject(service) || !isPlainObject(service.strategy)) return [];
  const canary = service.strategy.canary;
  if (!isPlainObject(canary) || !Array.isArray(canary.steps)) return [];
  return canary.steps.flatMap((step) =>
    isPlainObject(step) && typeof step.name === "string" ? [step.name] : [],
  );
}

function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const done = new Set<string>();
  const visit = (name: string, trail: string[]): string[] | undefined => {
    const start = trail.indexOf(name);
    if (start !== -1) return [...trail.slice(start), name];
    if (done.has(name)) return undefined;
    for (const next of graph.get(name) ?? []) {
      const cycle = visit(next, [...trail, name]);
      if (cycle) return cycle;
    }
    done.add(name);
    return undefined;
  };
  for (const name of graph.keys()) {
    const cycle = visit(name, []);
    if (cycle) return cycle;
  }
  return undefined;
}

function listenPortProblems(services: Record<string, unknown>): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  const owners = new Map<number, string>();
  for (const [name, service] of Object.entries(services)) {
    const router = isPlainObject(service) ? service.router : undefined;
    if (!isPlainObject(router) || (router.type !== "builtin" && router.type !== "nginx")) continue;
    for (const field of ["listen", "previewListen"] as const) {
      const port = router[field];
      if (typeof port !== "number") continue;
      const owner = owners.get(port);
      if (owner === undefined) owners.set(port, `${name}.router.${field}`);
      else {
        problems.push({
          path: ["services", name, "router", field],
          message: `port ${port} is already used by services.${owner}; give each listener its own port`,
        });
      }
    }
  }
  return problems;
}

export function documentProblems(document: unknown): CrossFieldProblem[] {
  if (!isPlainObject(document) || !isPlainObject(document.services)) return [];
  const services = document.services;
  return [
    ...Object.entries(services).flatMap(([name, service]) =>
      serviceProblems(name, service, ["services", name]),
    ),
    ...dependencyProblems(services),
    ...listenPortProblems(services),
    ...analysisProblems(document),
  ];
}
