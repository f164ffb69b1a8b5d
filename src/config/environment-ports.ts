import type { ServiceConfig } from "../core/config.js";
import type { PendingIssue } from "./issues.js";
import { isPlainObject } from "./merge.js";
import type { PathSegment } from "./path.js";

interface Listener {
  environment: string;
  service: string;
  field: "listen" | "previewListen";
  /** Whether the environment's override sets this port (else it comes from the service). */
  overridden: boolean;
}

const describe = (listener: Listener): string =>
  `${listener.service}.router.${listener.field} in ${listener.environment}`;

const overridePath = (listener: Listener): string =>
  `environments.${listener.environment}.services.${listener.service}.router.${listener.field}`;

function where(listener: Listener): { path: PathSegment[]; atKey: boolean } {
  if (listener.overridden) {
    return {
      path: ["environments", listener.environment, "services", listener.service, "router", listener.field],
      atKey: false,
    };
  }
  return { path: ["environments", listener.environment], atKey: true };
}

/**
 * Every environment's builtin and nginx routers run on this machine, so a port may be used by one listener of one
 * environment only. A clash is reported at the override that introduced it, or (when both ports come from
 * the services themselves) at the later environment, naming the override to add.
 */
export function environmentPortProblems(
  perEnvironment: Record<string, Record<string, ServiceConfig>>,
  environments: Record<string, { services: Record<string, Record<string, unknown>> }>,
): PendingIssue[] {
  const owners = new Map<number, Listener>();
  const problems: PendingIssue[] = [];
  for (const [environment, services] of Object.entries(perEnvironment)) {
    const local = new Map<number, Listener>();
    for (const [service, config] of Object.entries(services)) {
      if (config.router.type !== "builtin" && config.router.type !== "nginx") continue;
      const override = environments[environment]?.services[service]?.router;
      for (const field of ["listen", "previewListen"] as const) {
        const port = config.router[field];
        if (port === undefined) continue;
        const listener: Listener = {
          environment,
          service,
          field,
          overridden: isPlainObject(override) && override[field] !== undefined,
        };
        const neighbour = local.get(port);
        if (neighbour) {
          // Two ports of the services themselves are reported once, by the document's own checks.
          if (!listener.overridden && !neighbour.overridden) continue;
          const culprit = listener.overridden ? listener : neighbour;
          const other = culprit === listener ? neighbour : listener;
          problems.push({
            ...where(culprit),
            message: `port ${port} of ${describe(culprit)} is also used by ${other.service}.router.${other.field}; give each listener its own port`,
          });
          continue;
        }
        local.set(port, listener);
        const owner = owners.get(port);
        if (!owner) {
          owners.set(port, listener);
          continue;
        }
        const culprit = listener.overridden || !owner.overridden ? listener : owner;
        const other = culprit === listener ? owner : listener;
        problems.push({
          ...where(culprit),
          message:
            `port ${port} of ${describe(culprit)} is also used by ${describe(other)}; ` +
            `environments run side by side on this machine, so give ${culprit.environment} its own port: ` +
            overridePath(culprit),
        });
      }
    }
  }
  return problems;
}
