import { serviceIn, type TandemConfig } from "./core/config.js";
import { TandemError } from "./core/errors.js";
import type { RegistryEntry } from "./core/types.js";
import type { Plugins } from "./engine/engine.js";
import { summarizeStats, type TrafficSummary } from "./routers/histogram.js";
import type { InstanceRecord, RouterRecord, Store } from "./store/types.js";
import type { TargetContext } from "./targets/types.js";

export interface WhereEntry {
  environment: string;
  service: string;
  stable?: RegistryEntry;
  instances: InstanceRecord[];
  /** The router process, without its admin token (a secret that stays in the store). */
  router?: Omit<RouterRecord, "token">;
  /** Per-version traffic the router has seen since it started. */
  traffic?: Record<string, TrafficSummary>;
  /** Why the router's statistics could not be read. */
  routerProblem?: string;
}

export interface InfraContext {
  config: TandemConfig;
  store: Store;
  plugins: Plugins;
  context(environment: string, service: string): TargetContext;
}

/** What runs where: the stable version, instances and router of each service in each environment. */
export async function whereIs(infra: InfraContext, environment?: string): Promise<WhereEntry[]> {
  const { config, store } = infra;
  const project = config.project;
  const environments = environment ? [environment] : Object.keys(config.environments);
  const entries: WhereEntry[] = [];
  for (const env of environments) {
    for (const service of Object.keys(config.services)) {
      const router = await store.getRouter(project, env, service);
      entries.push({
        environment: env,
        service,
        stable: await store.getStable(project, env, service),
        instances: await store.listInstances({ project, environment: env, service }),
        router: withoutToken(router),
        ...(router ? await traffic(infra, env, service) : {}),
      });
    }
  }
  return entries;
}

/** Stops the project's routers and instances (they keep serving after the CLI exits otherwise). */
export async function stopEverything(
  infra: InfraContext,
  options: { environment?: string; force?: boolean },
): Promise<{ routers: number; instances: number }> {
  const active = await infra.store.listReleases({
    project: infra.config.project,
    environment: options.environment,
    active: true,
  });
  if (active.length > 0 && !options.force) {
    throw new TandemError("TANDEM_ERR_RELEASE_ACTIVE", `release ${active[0]!.id} is still running`, {
      hint: "abort it first, or pass --force",
    });
  }
  const signal = AbortSignal.timeout(60_000);
  let routers = 0;
  let instances = 0;
  for (const entry of await whereIs(infra, options.environment)) {
    const spec = serviceIn(infra.config, entry.environment, entry.service)!;
    const context = infra.context(entry.environment, entry.service);
    const target = infra.plugins.createTarget(spec.target, context);
    const running = await target.list();
    await target.stop(running, signal);
    instances += running.length;
    if (entry.router) {
      await infra.plugins.createRouter(spec.router, context).stop(signal);
      routers++;
    }
  }
  return { routers, instances };
}

async function traffic(infra: InfraContext, environment: string, service: string) {
  const spec = serviceIn(infra.config, environment, service)!;
  try {
    const stats = await infra.plugins
      .createRouter(spec.router, infra.context(environment, service))
      .stats(AbortSignal.timeout(5_000));
    const traffic = Object.fromEntries(
      Object.entries(stats).map(([version, s]) => [version, summarizeStats(s)]),
    );
    return { traffic };
  } catch (error) {
    return { routerProblem: error instanceof Error ? error.message : String(error) };
  }
}

function withoutToken(record: RouterRecord | undefined): Omit<RouterRecord, "token"> | undefined {
  if (!record) return undefined;
  const { token: _secret, ...visible } = record;
  return visible;
}
