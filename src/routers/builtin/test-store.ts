import type { RouterRecord, Store } from "../../store/types.js";

/** A Store holding only router records, in memory, for router tests; any other method throws. */
export function routerOnlyStore(): Store & { routers: Map<string, RouterRecord> } {
  const routers = new Map<string, RouterRecord>();
  const key = (project: string, environment: string, service: string) =>
    `${project}/${environment}/${service}`;
  const implemented = {
    routers,
    async putRouter(record: RouterRecord) {
      routers.set(key(record.project, record.environment, record.service), { ...record });
    },
    async getRouter(project: string, environment: string, service: string) {
      const record = routers.get(key(project, environment, service));
      return record && { ...record };
    },
    async deleteRouter(project: string, environment: string, service: string) {
      routers.delete(key(project, environment, service));
    },
    async listRouters(project: string) {
      return [...routers.values()].filter((r) => r.project === project);
    },
  };
  return new Proxy(implemented, {
    get(target, name, receiver) {
      if (name in target || typeof name === "symbol" || name === "then")
        return Reflect.get(target, name, receiver);
      return () => {
        throw new Error(`routerOnlyStore does not implement ${String(name)}`);
      };
    },
  }) as unknown as Store & { routers: Map<string, RouterRecord> };
}
