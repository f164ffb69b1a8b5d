import { isPlainObject } from "./merge.js";
import type { CrossFieldProblem, PathSegment } from "./path.js";
import { unknownNameMessage } from "./suggest.js";

/** Template names an analysis reference names: `NAME` or `{ templates: [NAME...] }`. */
function referenced(ref: unknown, path: PathSegment[]): { name: string; path: PathSegment[] }[] {
  if (typeof ref === "string") return [{ name: ref, path }];
  if (!isPlainObject(ref) || !Array.isArray(ref.templates)) return [];
  return ref.templates.flatMap((name, i) =>
    typeof name === "string" ? [{ name, path: [...path, "templates", i] }] : [],
  );
}

function canaryOf(service: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(service) || !isPlainObject(service.strategy)) return undefined;
  const canary = service.strategy.canary;
  return isPlainObject(canary) ? canary : undefined;
}

/**
 * Canary `analysis` steps and background analyses must name templates of the top-level `analysis:`;
 * a `pause: { auto: true }` needs a background analysis with a comparison to end it early.
 */
export function analysisProblems(document: Record<string, unknown>): CrossFieldProblem[] {
  const templates = isPlainObject(document.analysis) ? document.analysis : {};
  const known = Object.keys(templates);
  const places: { service: unknown; at: PathSegment[] }[] = [];
  const services = isPlainObject(document.services) ? document.services : {};
  for (const [name, service] of Object.entries(services)) places.push({ service, at: ["services", name] });
  // Environment overrides name templates too (`environments.ENV.services.NAME.strategy`).
  const environments = isPlainObject(document.environments) ? document.environments : {};
  for (const [env, environment] of Object.entries(environments)) {
    const overrides = isPlainObject(environment) ? environment.services : undefined;
    if (!isPlainObject(overrides)) continue;
    for (const [name, service] of Object.entries(overrides))
      places.push({ service, at: ["environments", env, "services", name] });
  }
  const problems: CrossFieldProblem[] = [];
  for (const { service, at } of places) {
    const canary = canaryOf(service);
    if (!canary) continue;
    const prefix: PathSegment[] = [...at, "strategy", "canary"];
    const refs = referenced(canary.analysis, [...prefix, "analysis"]);
    const steps = Array.isArray(canary.steps) ? canary.steps : [];
    steps.forEach((step, i) => {
      if (isPlainObject(step) && "analysis" in step)
        refs.push(...referenced(step.analysis, [...prefix, "steps", i, "analysis"]));
      const pause = isPlainObject(step) ? step.pause : undefined;
      if (
        ((isPlainObject(pause) && pause.auto === true) || pause === "auto") &&
        canary.analysis === undefined
      )
        problems.push({
          path: [...prefix, "steps", i, "pause", ...(pause === "auto" ? [] : ["auto"])],
          message:
            "pause auto ends early on the background analysis's comparison: add `analysis: NAME` to the canary (a template with compare: baseline)",
        });
    });
    for (const ref of refs) {
      if (!known.includes(ref.name))
        problems.push({
          path: ref.path,
          message: `${unknownNameMessage("analysis template", ref.name, known)}; declare it under the top-level \`analysis:\``,
        });
    }
  }
  return problems;
}
