import type { ServiceConfig } from "../core/config.js";
import type { PendingIssue } from "./issues.js";
import type { PathSegment } from "./locate.js";

/**
 * Every environment's builtin routers run on this machine, so a port may be used by one listener of one
 * environment only. The problem is reported at the override that should change it.
 */
export function environmentPortProblems(
  perEnvironment: Record<string, Record<string, ServiceConfig>>,
  environments: Record<string, { services: Record<string, Record<string, unknown>> }>,
): PendingIssue[] {
  const owners = new Map<number, { environment: string; service: string; field: string }>();
  const problems: PendingIssue[] = [];
  for (const [environment, services] of Object.entries(perEnvironment)) {
    for (const [service, config] of Object.entries(services)) {
      if (config.router.type !== "builtin") continue;
      for (const field of ["listen", "previewListen"] as const) {
        const port = config.router[field];
        if (port === undefined) continue;
        const owner = owners.get(port);
        if (!owner) {
          owners.set(port, { environment, service, field });
          continue;
        }
        // Two listeners of one environment on one port are reported by the document's own checks.
        if (owner.environment === environment) continue;
        const override = environments[environment]?.services[service]?.router as
          | Record<string, unknown>
          | undefined;
        const path: PathSegment[] =
          override?.[field] !== undefined
            ? ["environments", environment, "services", service, "router", field]
            : ["environments", environment];
        problems.push({
          path,
          atKey: path.length === 2,
          message:
            `port ${port} of ${service}.router.${field} in ${environment} is already used by ${owner.service} in ${owner.environment}; ` +
            `environments run side by side on this machine, so give ${environment} its own port: ` +
            `environments.${environment}.services.${service}.router.${field}`,
        });
      }
    }
  }
  return problems;
}
