import { formatDuration, formatPercent } from "./format";
import { useApi } from "./hooks";
import { TrendChart } from "./TrendChart";
import type { DeliveryReport, Metrics } from "./types";
import { ErrorBox, Loading, Section } from "./ui";

function perWeek(value: number): string {
  return `${Math.round(value * 10) / 10}/week`;
}

/** The four DORA figures of one scope, each with its performance band. */
function Figures({ metrics, scope }: { metrics: Metrics; scope: string }) {
  const b = metrics.bands;
  const figures = [
    {
      key: "deployment-frequency",
      label: "Deployment frequency",
      value: perWeek(metrics.deploymentFrequency.perWeek),
      band: b.deploymentFrequency,
      detail: `${metrics.deploymentFrequency.deployments} deployments`,
    },
    {
      key: "lead-time",
      label: "Lead time (median)",
      value: formatDuration(metrics.leadTime.median),
      band: b.leadTime,
      detail: `p90 ${formatDuration(metrics.leadTime.p90)}`,
    },
    {
      key: "change-failure-rate",
      label: "Change failure rate",
      value: formatPercent(metrics.changeFailureRate.rate),
      band: b.changeFailureRate,
      detail: `${metrics.changeFailureRate.failures} of ${metrics.changeFailureRate.deployments}`,
    },
    {
      key: "time-to-restore",
      label: "Time to restore (median)",
      value: formatDuration(metrics.timeToRestore.median),
      band: b.timeToRestore,
      detail: `${metrics.timeToRestore.open.length} open`,
    },
  ];
  return (
    <dl class="figures" data-scope={scope}>
      {figures.map((f) => (
        <div key={f.key} class="figure" data-figure={f.key}>
          <dt>{f.label}</dt>
          <dd>
            <span class="figure-value">{f.value}</span>
            {f.band ? <span class={`band band-${f.band}`}>{f.band}</span> : null}
            <span class="muted small">{f.detail}</span>
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Delivery analytics (DORA) of the last 30 days, per environment and service, with weekly trends. */
export function DeliveryPage({ token }: { token: string }) {
  const report = useApi<DeliveryReport>(token, "/report");
  const data = report.data;
  return (
    <>
      <div class="page-title">
        <h1>Delivery</h1>
        {data ? <span class="muted">last {data.window.days} days</span> : null}
      </div>
      <ErrorBox error={report.error} title="Could not load the report" />
      {!data && !report.error ? <Loading what="the delivery report" /> : null}
      {data?.environments.length === 0 ? <p class="muted">No releases in this window.</p> : null}
      {data?.environments.map((env) => (
        <Section key={env.environment} title={env.environment} id={`delivery-${env.environment}`}>
          <Figures metrics={env.metrics} scope={env.environment} />
          <p class="muted small">
            {env.metrics.releases.total} releases finished: {env.metrics.releases.succeeded} succeeded,{" "}
            {env.metrics.releases.failed} failed, {env.metrics.releases.rolledBack} rolled back,{" "}
            {env.metrics.releases.aborted} aborted · overall band {env.metrics.bands.overall ?? "–"}
          </p>
          <div class="charts">
            <TrendChart
              title="Deployments (failures on top)"
              weeks={env.trend.weeks}
              kind="deployments"
              format={String}
            />
            <TrendChart
              title="Change failure rate"
              weeks={env.trend.weeks}
              kind="line"
              value={(w) => w.changeFailureRate}
              format={formatPercent}
            />
            <TrendChart
              title="Lead time (median)"
              weeks={env.trend.weeks}
              kind="line"
              value={(w) => w.leadTimeMedian}
              format={formatDuration}
            />
          </div>
          {env.services.length > 0 ? (
            <table class="services-report">
              <thead>
                <tr>
                  <th scope="col">Service</th>
                  <th scope="col">Deployments</th>
                  <th scope="col">Lead time</th>
                  <th scope="col">Change failure rate</th>
                  <th scope="col">Time to restore</th>
                </tr>
              </thead>
              <tbody>
                {env.services.map((s) => (
                  <tr key={s.service} data-service={s.service}>
                    <th scope="row">{s.service}</th>
                    <td>
                      {s.metrics.deploymentFrequency.deployments} (
                      {perWeek(s.metrics.deploymentFrequency.perWeek)})
                    </td>
                    <td>{formatDuration(s.metrics.leadTime.median)}</td>
                    <td>{formatPercent(s.metrics.changeFailureRate.rate)}</td>
                    <td>{formatDuration(s.metrics.timeToRestore.median)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </Section>
      ))}
    </>
  );
}
