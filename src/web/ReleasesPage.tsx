import { formatDuration, formatTime } from "./format";
import { useApi, useDebounced, useEventStream } from "./hooks";
import { routeHref } from "./routes";
import type { Release } from "./types";
import { ErrorBox, Loading, StatusBadge } from "./ui";

/** The release history, newest first; refreshed as events arrive. */
export function ReleasesPage({ token }: { token: string }) {
  const releases = useApi<Release[]>(token, "/releases?limit=50");
  const refresh = useDebounced(releases.reload, 300);
  const stream = useEventStream(token, {}, refresh);
  const sorted = [...(releases.data ?? [])].sort((a, b) => b.createdAt - a.createdAt);
  return (
    <>
      <div class="page-title">
        <h1>Releases</h1>
        <span class={`stream stream-${stream}`}>{stream === "live" ? "live" : stream}</span>
      </div>
      <ErrorBox error={releases.error} title="Could not load the releases" />
      {!releases.data && !releases.error ? <Loading what="releases" /> : null}
      {releases.data && sorted.length === 0 ? (
        <p class="muted">No releases yet. Start one with `tandem deploy SERVICE@VERSION`.</p>
      ) : null}
      {sorted.length > 0 ? (
        <table class="releases">
          <caption class="visually-hidden">Releases, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Release</th>
              <th scope="col">Environment</th>
              <th scope="col">Services</th>
              <th scope="col">Status</th>
              <th scope="col">By</th>
              <th scope="col">Started (UTC)</th>
              <th scope="col">Took</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((release) => (
              <tr key={release.id} data-release={release.id}>
                <td>
                  <a href={routeHref({ page: "release", id: release.id })}>{release.id}</a>
                </td>
                <td>{release.environment}</td>
                <td>{release.rollouts.map((r) => `${r.service}@${r.version}`).join(", ")}</td>
                <td>
                  <StatusBadge status={release.status} />
                </td>
                <td>{release.createdBy}</td>
                <td>{formatTime(release.createdAt)}</td>
                <td>{release.finishedAt ? formatDuration(release.finishedAt - release.createdAt) : "–"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
