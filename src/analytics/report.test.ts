import { describe, expect, it } from "vitest";
import { DAY, HOUR, MINUTE, published, release, SINCE, tenReleases, UNTIL } from "./history.fixtures.js";
import { computeReport } from "./report.js";

describe("computeReport", () => {
  it("computes the four DORA metrics of a hand-built history", () => {
    const { releases, versions } = tenReleases();
    const report = computeReport(
      { project: "shop", releases, versions, rollbackReleaseIds: [], environments: ["production"] },
      { now: UNTIL + 5 * MINUTE, until: UNTIL, since: SINCE },
    );
    expect(report.window).toEqual({ since: SINCE, until: UNTIL, days: 14 });
    const production = report.environments[0]!;
    expect(production.environment).toBe("production");
    const m = production.metrics;
    expect(m.releases).toEqual({
      total: 10,
      succeeded: 8,
      failed: 0,
      rolledBack: 2,
      aborted: 0,
      rollbacks: 0,
      inProgress: 0,
    });
    expect(m.successRate).toBe(0.8);
    // 8 successful releases in 14 days: 4 a week.
    expect(m.deploymentFrequency.deployments).toBe(8);
    expect(m.deploymentFrequency.perDay).toBeCloseTo(8 / 14, 10);
    expect(m.deploymentFrequency.perWeek).toBeCloseTo(4, 10);
    // 2 failures of 10 changes.
    expect(m.changeFailureRate).toEqual({ failures: 2, deployments: 10, rate: 0.2 });
    // Restores of 30m and 120m: median 75m; p90 = 30 + 0.9 × 90 = 111m.
    expect(m.timeToRestore).toEqual({ count: 2, median: 75 * MINUTE, p90: 111 * MINUTE, open: [] });
    // Lead times 1..7h (the unpublished #9 is counted apart): median 4h, p90 = 6h + 0.4h.
    expect(m.leadTime).toEqual({ count: 7, median: 4 * HOUR, p90: 6.4 * HOUR, withoutPublishTime: 1 });
    // Every release takes 10 minutes; every rollout 9.
    expect(m.durations.release).toEqual({ count: 10, median: 10 * MINUTE, p90: 10 * MINUTE });
    expect(m.durations.rollout).toEqual({ count: 10, median: 9 * MINUTE, p90: 9 * MINUTE });
    // 4/week high, lead 4h elite, 20% failures low, 75m restore high: the worst is low.
    expect(m.bands).toEqual({
      overall: "low",
      deploymentFrequency: "high",
      leadTime: "elite",
      changeFailureRate: "low",
      timeToRestore: "high",
    });
    // The only service has the same numbers as its environment.
    expect(production.services.map((s) => s.service)).toEqual(["api"]);
    expect(production.services[0]!.metrics).toEqual(m);
    expect(production.failures.map((f) => [f.releaseId, f.status, f.services])).toEqual([
      ["r3", "rolled_back", ["api@1.3.0"]],
      ["r7", "rolled_back", ["api@1.7.0"]],
    ]);
  });

  it("buckets the window by week and compares it with the period before", () => {
    const { releases, versions } = tenReleases();
    const report = computeReport(
      { project: "shop", releases, versions, rollbackReleaseIds: [] },
      { now: UNTIL, since: SINCE },
    );
    const trend = report.environments[0]!.trend;
    expect(trend.previous).toEqual({ since: SINCE - 14 * DAY, until: SINCE });
    // Week 1: #0..#6, #3 failed (restored in 30m); week 2: #7..#9, #7 failed (restored in 2h).
    expect(trend.weeks).toEqual([
      {
        start: SINCE,
        end: SINCE + 7 * DAY,
        deployments: 6,
        failures: 1,
        changeFailureRate: 1 / 7,
        leadTimeMedian: 3.5 * HOUR, // 1, 2, 3, 4, 5, 6h
        timeToRestoreMedian: 30 * MINUTE,
      },
      {
        start: SINCE + 7 * DAY,
        end: UNTIL,
        deployments: 2,
        failures: 1,
        changeFailureRate: 1 / 3,
        leadTimeMedian: 7 * HOUR, // #8; #9 has no publish time
        timeToRestoreMedian: 120 * MINUTE,
      },
    ]);
    // Previous period: 2 successes (1 a week), no failure, 10h lead times.
    expect(trend.changes.deploymentsPerWeek).toEqual({
      current: 4,
      previous: 1,
      direction: "up",
      better: true,
    });
    expect(trend.changes.leadTimeMedian).toEqual({
      current: 4 * HOUR,
      previous: 10 * HOUR,
      direction: "down",
      better: true,
    });
    expect(trend.changes.changeFailureRate).toEqual({
      current: 0.2,
      previous: 0,
      direction: "up",
      better: false,
    });
    expect(trend.changes.successRate).toEqual({
      current: 0.8,
      previous: 1,
      direction: "down",
      better: false,
    });
    expect(trend.changes.timeToRestoreMedian).toEqual({
      current: 75 * MINUTE,
      previous: null,
      direction: null,
      better: null,
    });
  });

  it("reports an environment without releases with zeros and no band", () => {
    const report = computeReport(
      {
        project: "shop",
        releases: [],
        versions: [],
        rollbackReleaseIds: [],
        environments: ["staging"],
        services: ["api"],
      },
      { now: UNTIL },
    );
    expect(report.window).toEqual({ since: UNTIL - 30 * DAY, until: UNTIL, days: 30 });
    const staging = report.environments[0]!;
    expect(staging.metrics.releases.total).toBe(0);
    expect(staging.metrics.successRate).toBeNull();
    expect(staging.metrics.deploymentFrequency).toEqual({ deployments: 0, perDay: 0, perWeek: 0 });
    expect(staging.metrics.changeFailureRate).toEqual({ failures: 0, deployments: 0, rate: null });
    expect(staging.metrics.leadTime).toEqual({ count: 0, median: null, p90: null, withoutPublishTime: 0 });
    expect(staging.metrics.timeToRestore).toEqual({ count: 0, median: null, p90: null, open: [] });
    expect(staging.metrics.bands.overall).toBeNull();
    expect(staging.services.map((s) => s.service)).toEqual(["api"]);
    expect(staging.trend.weeks).toHaveLength(5); // 30 days: four weeks and two days
    expect(staging.trend.weeks.at(-1)).toMatchObject({ start: UNTIL - 2 * DAY, end: UNTIL, deployments: 0 });
  });

  it("reports a failure never restored as open, outside the median", () => {
    const failedAt = UNTIL - 3 * DAY;
    const report = computeReport(
      {
        project: "shop",
        releases: [
          release("ok", "production", UNTIL - 10 * DAY, "succeeded", [
            { service: "api", version: "1.0.0", status: "succeeded" },
          ]),
          release(
            "bad",
            "production",
            failedAt,
            "failed",
            [{ service: "api", version: "1.1.0", status: "failed" }],
            {
              reason: "probe failed",
            },
          ),
        ],
        versions: [],
        rollbackReleaseIds: [],
      },
      { now: UNTIL },
    );
    const m = report.environments[0]!.metrics;
    expect(m.timeToRestore).toEqual({
      count: 0,
      median: null,
      p90: null,
      open: [
        { service: "api", releaseId: "bad", since: failedAt + 10 * MINUTE, openFor: 3 * DAY - 10 * MINUTE },
      ],
    });
    expect(m.changeFailureRate).toEqual({ failures: 1, deployments: 2, rate: 0.5 });
    expect(report.environments[0]!.failures).toEqual([
      {
        releaseId: "bad",
        services: ["api@1.1.0"],
        status: "failed",
        undone: false,
        at: failedAt + 10 * MINUTE,
        createdBy: "alice",
        reason: "probe failed",
      },
    ]);
  });

  it("leaves versions without a usable publish time out of the lead time, and counts them", () => {
    const at = UNTIL - 2 * DAY;
    const live = at + 10 * MINUTE;
    const versions = [
      published("api", "1.0.0", live - 2 * HOUR),
      published("api", "1.1.0", live - 5 * HOUR, "manifest"), // read from a manifest at deploy: no publish time
      published("api", "1.2.0", live + HOUR), // published after it went live
      // 1.3.0: never published
    ];
    const releases = ["1.0.0", "1.1.0", "1.2.0", "1.3.0"].map((v, i) =>
      release(`r${i}`, "production", at + i * MINUTE, "succeeded", [
        { service: "api", version: v, status: "succeeded" },
      ]),
    );
    const m = computeReport({ project: "shop", releases, versions, rollbackReleaseIds: [] }, { now: UNTIL })
      .environments[0]!.metrics;
    expect(m.leadTime).toEqual({ count: 1, median: 2 * HOUR, p90: 2 * HOUR, withoutPublishTime: 3 });
    expect(m.deploymentFrequency.deployments).toBe(4);
  });

  it("counts a release undone by `tandem rollback` as a failure, restored when the rollback succeeds", () => {
    const at = UNTIL - 5 * DAY;
    const releases = [
      release("good", "production", at, "succeeded", [
        { service: "api", version: "1.0.0", status: "succeeded" },
      ]),
      release("regret", "production", at + DAY, "succeeded", [
        { service: "api", version: "1.1.0", status: "succeeded" },
      ]),
      // Started 3h after "regret" went live, takes 12 minutes.
      release(
        "back",
        "production",
        at + DAY + 10 * MINUTE + 3 * HOUR,
        "succeeded",
        [{ service: "api", version: "1.0.0", status: "succeeded" }],
        { minutes: 12 },
      ),
    ];
    const report = computeReport(
      { project: "shop", releases, versions: [], rollbackReleaseIds: ["back"] },
      { now: UNTIL },
    );
    const m = report.environments[0]!.metrics;
    expect(m.releases).toMatchObject({ total: 3, succeeded: 2, rollbacks: 1 });
    expect(m.deploymentFrequency.deployments).toBe(2);
    expect(m.changeFailureRate).toEqual({ failures: 1, deployments: 2, rate: 0.5 });
    expect(m.timeToRestore).toMatchObject({ count: 1, median: 12 * MINUTE, open: [] });
    expect(report.environments[0]!.failures).toEqual([
      expect.objectContaining({ releaseId: "regret", status: "succeeded", undone: true }),
    ]);
  });

  it("splits a multi-service environment per service and filters by service and environment", () => {
    const at = UNTIL - 4 * DAY;
    const releases = [
      release("both", "production", at, "succeeded", [
        { service: "api", version: "2.0.0", status: "succeeded" },
        { service: "web", version: "1.0.0", status: "succeeded" },
      ]),
      // web fails: api, already moved, is rolled back with it (rollbackPolicy: release).
      release("web-bad", "production", at + DAY, "failed", [
        { service: "api", version: "2.1.0", status: "rolled_back" },
        { service: "web", version: "1.1.0", status: "failed" },
      ]),
      // api fails first: web never starts.
      release("api-bad", "production", at + 2 * DAY, "rolled_back", [
        { service: "api", version: "2.2.0", status: "rolled_back" },
        { service: "web", version: "1.2.0", status: "aborted", skipped: true },
      ]),
      release("stopped", "production", at + 2 * DAY + HOUR, "aborted", [
        { service: "web", version: "1.3.0", status: "aborted" },
      ]),
      release("running", "production", UNTIL - HOUR, "running", [
        { service: "web", version: "1.4.0", status: "running" },
      ]),
      release("elsewhere", "staging", at, "succeeded", [
        { service: "web", version: "1.0.0", status: "succeeded" },
      ]),
    ];
    const input = { project: "shop", releases, versions: [], rollbackReleaseIds: [] };
    const report = computeReport(input, { now: UNTIL });
    expect(report.environments.map((e) => e.environment)).toEqual(["production", "staging"]);
    const production = report.environments[0]!;
    expect(production.metrics.releases).toEqual({
      total: 4,
      succeeded: 1,
      failed: 1,
      rolledBack: 1,
      aborted: 1,
      rollbacks: 0,
      inProgress: 1,
    });
    // Aborted releases are in the success rate, not in the change failure rate.
    expect(production.metrics.successRate).toBe(0.25);
    expect(production.metrics.changeFailureRate).toEqual({ failures: 2, deployments: 3, rate: 2 / 3 });
    const [api, web] = production.services;
    expect(api!.metrics.releases).toMatchObject({ total: 3, succeeded: 1, rolledBack: 2, inProgress: 0 });
    expect(api!.metrics.changeFailureRate.rate).toBe(2 / 3);
    // web: the skipped rollout is not a release of web; the aborted one is not a change.
    expect(web!.metrics.releases).toMatchObject({
      total: 3,
      succeeded: 1,
      failed: 1,
      aborted: 1,
      inProgress: 1,
    });
    expect(web!.metrics.changeFailureRate).toEqual({ failures: 1, deployments: 2, rate: 0.5 });
    expect(web!.metrics.timeToRestore.open).toEqual([
      expect.objectContaining({ service: "web", releaseId: "web-bad" }),
    ]);
    expect(api!.metrics.timeToRestore.open).toEqual([
      expect.objectContaining({ service: "api", releaseId: "web-bad" }),
    ]);
    expect(production.metrics.timeToRestore.open).toHaveLength(2);

    const onlyWeb = computeReport(input, { now: UNTIL, service: "web", environment: "production" });
    expect(onlyWeb.filters).toEqual({ environment: "production", service: "web" });
    expect(onlyWeb.environments.map((e) => e.environment)).toEqual(["production"]);
    expect(onlyWeb.environments[0]!.services.map((s) => s.service)).toEqual(["web"]);
    // Only releases that moved web: api-bad skipped it, so it is not one of them.
    expect(onlyWeb.environments[0]!.failures.map((f) => [f.releaseId, f.services])).toEqual([
      ["web-bad", ["web@1.1.0"]],
    ]);
  });

  it("counts a release ending exactly at `until` and not one ending exactly at `since`", () => {
    const ending = (id: string, end: number) =>
      release(id, "production", end - 10 * MINUTE, "succeeded", [
        { service: "api", version: id, status: "succeeded" },
      ]);
    const report = computeReport(
      {
        project: "shop",
        releases: [ending("at-since", SINCE), ending("at-until", UNTIL)],
        versions: [],
        rollbackReleaseIds: [],
      },
      { now: UNTIL, since: SINCE },
    );
    expect(report.environments[0]!.metrics.releases.total).toBe(1);
    expect(report.environments[0]!.trend.weeks.map((w) => w.deployments)).toEqual([0, 1]);
  });

  it("refuses an empty window", () => {
    expect(() =>
      computeReport(
        { project: "shop", releases: [], versions: [], rollbackReleaseIds: [] },
        { now: UNTIL, since: UNTIL },
      ),
    ).toThrow(/the report window is empty/);
  });
});
