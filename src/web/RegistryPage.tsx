import { formatTime } from "./format";
import { useApi } from "./hooks";
import { routeHref } from "./routes";
import type { RegistryView, WhereEntry } from "./types";
import { ErrorBox, Loading, Section } from "./ui";

/** What runs where: each environment's stable versions, their requirements, instances and routers. */
export function RegistryPage({ token }: { token: string }) {
  const where = useApi<WhereEntry[]>(token, "/registry/where");
  const registry = useApi<RegistryView>(token, "/registry");
  const environments = registry.data?.environments ?? [];
  return (
    <>
      <div class="page-title">
        <h1>What runs where</h1>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            where.reload();
            registry.reload();
          }}
        >
          Refresh
        </button>
      </div>
      <ErrorBox error={where.error ?? registry.error} title="Could not load the registry" />
      {!where.data || !registry.data ? <Loading what="the registry" /> : null}
      {environments.map((env) => {
        const entries = (where.data ?? []).filter((e) => e.environment === env.environment);
        return (
          <Section key={env.environment} title={env.environment} id={`env-${env.environment}`}>
            <table class="where" data-environment={env.environment}>
              <thead>
                <tr>
                  <th scope="col">Service</th>
                  <th scope="col">Stable version</th>
                  <th scope="col">Since (UTC)</th>
                  <th scope="col">Instances</th>
                  <th scope="col">Router</th>
                </tr>
              </thead>
              <tbody>
                {env.services.map((s) => {
                  const entry = entries.find((e) => e.service === s.service);
                  return (
                    <tr key={s.service} data-service={s.service}>
                      <th scope="row">{s.service}</th>
                      <td class="version">
                        {s.version ?? <span class="muted">never released</span>}
                        {s.releaseId ? (
                          <>
                            {" "}
                            <a class="small" href={routeHref({ page: "release", id: s.releaseId })}>
                              release
                            </a>
                          </>
                        ) : null}
                      </td>
                      <td>{formatTime(s.at)}</td>
                      <td>
                        {entry?.instances.length
                          ? entry.instances.map((i) => (
                              <div key={i.id} class="mono small">
                                {i.version} {i.host}:{i.port}
                                {i.pid ? ` pid ${i.pid}` : ""}
                              </div>
                            ))
                          : "none"}
                      </td>
                      <td>
                        {entry?.router
                          ? `${entry.router.listenHost}:${entry.router.listenPort} (pid ${entry.router.pid})`
                          : (entry?.routerProblem ?? "none")}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {env.requirements.length > 0 ? (
              <ul class="requirements">
                {env.requirements.map((r) => (
                  <li key={`${r.consumer}/${r.requirement}`} class={r.satisfied ? "ok" : "bad"}>
                    {r.consumer} requires {r.requirement} {r.range}: {r.satisfied ? "met" : "NOT met"}
                  </li>
                ))}
              </ul>
            ) : null}
          </Section>
        );
      })}
    </>
  );
}
