import { useCallback, useState } from "preact/hooks";
import { metricSeries } from "./chart-scale";
import { formatDuration, formatTime } from "./format";
import { useApi, useDebounced, useEventStream } from "./hooks";
import { MetricChart } from "./MetricChart";
import { ReleaseActions } from "./ReleaseActions";
import { ReleaseDag } from "./ReleaseDag";
import { Timeline } from "./Timeline";
import type { Release, TandemEvent, Whoami } from "./types";
import { ErrorBox, Loading, Section, StatusBadge } from "./ui";

/**
 * One release, live: the DAG of its services with each one's step, weight, status and probe health,
 * the analysis measurements, the buttons the signed-in role may press, and the event timeline. The
 * release's event stream replays its events and then follows new ones; each event refetches the
 * release (debounced), so the page never reloads.
 */
export function ReleasePage({ token, who, id }: { token: string; who: Whoami; id: string }) {
  const release = useApi<Release>(token, `/releases/${encodeURIComponent(id)}`);
  const [events, setEvents] = useState<TandemEvent[]>([]);
  const refresh = useDebounced(release.reload, 150);
  const onEvent = useCallback(
    (event: TandemEvent) => {
      setEvents((known) =>
        event.seq !== undefined && known.some((e) => e.seq === event.seq) ? known : [...known, event],
      );
      refresh();
    },
    [refresh],
  );
  const stream = useEventStream(token, { release: id, enabled: release.data !== undefined }, onEvent);

  if (release.error && !release.data)
    return <ErrorBox error={release.error} title="Could not load the release" />;
  const data = release.data;
  if (!data) return <Loading what={`release ${id}`} />;
  const series = data.rollouts.flatMap((rollout) =>
    metricSeries([rollout.analysis, rollout.backgroundRun]).map((s) => ({ ...s, service: rollout.service })),
  );
  const gate = data.approval;
  return (
    <>
      <div class="page-title">
        <h1>
          Release <span class="mono">{data.id}</span>
        </h1>
        <StatusBadge status={data.status} />
        <span class={`stream stream-${stream}`} data-testid="stream-state">
          {stream === "live" ? "live" : stream}
        </span>
      </div>
      <p class="summary">
        {data.environment} · started {formatTime(data.createdAt)} UTC by {data.createdBy}
        {data.finishedAt ? ` · took ${formatDuration(data.finishedAt - data.createdAt)}` : ""}
        {data.promotedFrom ? ` · promoted from ${data.promotedFrom}` : ""}
      </p>
      {data.reason ? <p class="reason">{data.reason}</p> : null}
      {gate ? (
        <p class="gate" data-testid="approval-gate">
          Approval: {gate.outcome ?? "waiting"} (
          {gate.decisions.filter((d) => d.decision === "approve").length}/{gate.spec.required})
          {gate.decisions.map((d) => ` · ${d.decision} by ${d.actor}${d.comment ? `: “${d.comment}”` : ""}`)}
        </p>
      ) : null}
      <ErrorBox error={release.error} title="Could not refresh" />
      <ReleaseActions token={token} who={who} release={data} onDone={release.reload} />
      <Section title="Services" id="services-title">
        <ReleaseDag rollouts={data.rollouts} />
      </Section>
      <Section title="Analysis" id="analysis-title">
        {series.length === 0 ? (
          <p class="muted">No analysis has run in this release.</p>
        ) : (
          <div class="charts">
            {series.map((s) => (
              <MetricChart key={`${s.service}/${s.kind}/${s.metric}`} service={s.service} series={s} />
            ))}
          </div>
        )}
      </Section>
      <Section title="Timeline" id="timeline-title">
        <Timeline events={events} />
      </Section>
    </>
  );
}
