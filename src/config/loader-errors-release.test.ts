import { describe, expect, it } from "vitest";
import { problems, yaml } from "./test-helpers.js";

/** Mistakes in environments, gates, hooks, freezes and step dependencies, located like every other one. */

const SERVICES = yaml`
  services:
    api:
      target: { type: sim, replicas: 2 }
      router: { type: builtin, listen: 8080 }
      strategy:
        canary:
          steps: [{ setWeight: 10, name: half }, { pause: 1m }]
    web:
      dependsOn: [api]
      target: { type: sim }
      router: { type: builtin, listen: 8081 }
`;

describe("environment overrides", () => {
  it("an invalid override value is reported at the override", () => {
    const text = yaml`
      project: shop
      environments:
        production:
          services:
            api:
              target: { replicas: 0 }
    `;
    expect(problems(text + SERVICES)).toEqual([
      "6:29 environments.production.services.api.target.replicas: replicas must be at least 1",
    ]);
  });

  it("an unknown field of an override, and a target type whose required field is missing", () => {
    const text = yaml`
      project: shop
      environments:
        production:
          services:
            api:
              replcas: 3
            web:
              target: { type: process }
    `;
    expect(problems(text + SERVICES)).toEqual([
      '6:9 environments.production.services.api: unknown field "replcas"; expected one of: target, router, health, strategy, dependsOn, hooks, pauseTimeout',
      '8:9 environments.production.services.web.target.command: missing required field "command"',
    ]);
  });

  it("an override naming an unknown service, with a suggestion", () => {
    const text = yaml`
      project: shop
      environments:
        production:
          services:
            apii: { target: { replicas: 3 } }
    `;
    expect(problems(text + SERVICES)).toEqual([
      '5:7 environments.production.services.apii: unknown service "apii", did you mean "api"? (an override changes a service declared under services)',
    ]);
  });

  it("a combination that only the override makes invalid is reported at the override", () => {
    const text = yaml`
      project: shop
      environments:
        production:
          services:
            api:
              router: { type: none }
    `;
    const [issue, ...rest] = problems(text + SERVICES);
    expect(rest).toEqual([]);
    expect(issue).toMatch(
      /^5:7 environments\.production\.services\.api: with this environment's overrides, services\.api\.strategy\.canary: canary shifts traffic between versions, so service "api" needs a router/,
    );
  });

  it("an override mistake is reported together with the rest of the file's", () => {
    const text = yaml`
      project: shop
      environments:
        production:
          services:
            api: { target: { replicas: -2 } }
      services:
        api:
          target: { type: sim }
          pauseTimeout: soon
    `;
    expect(problems(text)).toEqual([
      "5:34 environments.production.services.api.target.replicas: replicas must be at least 1",
      '9:19 services.api.pauseTimeout: invalid duration "soon"; write a number followed by a unit, e.g. "500ms", "30s", "5m", "1h30m"',
    ]);
  });
});

describe("promotion and ports", () => {
  it("after an unknown environment, with a suggestion", () => {
    const text = yaml`
      project: shop
      environments:
        staging: {}
        production: { after: stagin, services: { api: { router: { listen: 9080 } }, web: { router: { listen: 9081 } } } }
    `;
    expect(problems(text + SERVICES)).toEqual([
      '4:24 environments.production.after: unknown environment "stagin", did you mean "staging"?',
    ]);
  });

  it("a promotion cycle", () => {
    const text = yaml`
      project: shop
      environments:
        staging: { after: production }
        production: { after: staging, services: { api: { router: { listen: 9080 } }, web: { router: { listen: 9081 } } } }
    `;
    expect(problems(text + SERVICES)).toEqual([
      "3:21 environments.staging.after: promotion cycle: staging -> production -> staging; no release could ever enter them",
      "4:24 environments.production.after: promotion cycle: production -> staging -> production; no release could ever enter them",
    ]);
  });

  it("the same builtin port in two environments names the override to add", () => {
    const text = yaml`
      project: shop
      environments:
        staging: {}
        production:
          services:
            web: { router: { listen: 9081 } }
    `;
    expect(problems(text + SERVICES)).toEqual([
      "4:3 environments.production: port 8080 of api.router.listen in production is also used by api.router.listen in staging; environments run side by side on this machine, so give production its own port: environments.production.services.api.router.listen",
    ]);
  });

  it("an override that reuses another environment's port is reported at the override", () => {
    const text = yaml`
      project: shop
      environments:
        staging:
          services:
            api: { router: { listen: 9080 } }
            web: { router: { listen: 9081 } }
        production:
          services:
            api: { router: { previewListen: 9081 } }
    `;
    expect(problems(text + SERVICES)).toEqual([
      "9:39 environments.production.services.api.router.previewListen: port 9081 of api.router.previewListen in production is also used by web.router.listen in staging; environments run side by side on this machine, so give production its own port: environments.production.services.api.router.previewListen",
    ]);
  });

  it("an override that reuses a port of its own environment", () => {
    const text = yaml`
      project: shop
      environments:
        staging:
          services:
            web: { router: { listen: 8080 } }
    `;
    expect(problems(text + SERVICES)).toEqual([
      "5:32 environments.staging.services.web.router.listen: port 8080 of web.router.listen in staging is also used by api.router.listen; give each listener its own port",
    ]);
  });
});

describe("freeze windows", () => {
  const freeze = (window: string) =>
    problems(`project: shop\nenvironments:\n  production:\n    freeze:\n      - ${window}\n${SERVICES}`);

  it("a period without its end, or ending before it starts", () => {
    expect(freeze('{ from: "2026-12-24T00:00:00Z" }')).toEqual([
      '5:9 environments.production.freeze[0].to: missing required field "to"',
    ]);
    expect(freeze('{ from: "2026-12-24T00:00:00Z", to: "2026-12-23T00:00:00Z" }')).toEqual([
      "5:45 environments.production.freeze[0].to: the freeze ends before it starts",
    ]);
  });

  it("an invalid date, an impossible one, and a number", () => {
    const hint =
      'write an ISO 8601 date and time, e.g. "2026-12-24T18:00:00Z", "2026-12-24T18:00:00+01:00" or "2026-12-24 18:00" (in the window\'s timezone)';
    expect(freeze('{ from: "Christmas", to: "2026-12-27" }')).toEqual([
      `5:17 environments.production.freeze[0].from: invalid date "Christmas"; ${hint}`,
    ]);
    expect(freeze('{ from: "2026-02-30", to: "2026-03-02" }')).toEqual([
      `5:17 environments.production.freeze[0].from: invalid date "2026-02-30"; ${hint}`,
    ]);
    expect(freeze('{ from: 2026, to: "2026-03-02" }')).toEqual([
      `5:17 environments.production.freeze[0].from: expected a date and time; ${hint}`,
    ]);
  });

  it("a schedule without a duration, and neither kind", () => {
    expect(freeze('{ schedule: "0 18 * * 5" }')).toEqual([
      '5:9 environments.production.freeze[0].duration: missing required field "duration"',
    ]);
    expect(freeze("{ name: weekend }")).toEqual([
      "5:9 environments.production.freeze[0]: a freeze is either a period ({ from, to }) or recurring ({ schedule: <cron>, duration })",
    ]);
  });

  it("an invalid cron expression, checked by cron-parser", () => {
    const hint = 'write minute hour day-of-month month day-of-week, e.g. "0 18 * * 5" (Fridays at 18:00)';
    expect(freeze('{ schedule: "0 25 * * 5", duration: 62h }')).toEqual([
      `5:21 environments.production.freeze[0].schedule: invalid cron expression "0 25 * * 5": Constraint error, got value 25 expected range 0-23; ${hint}`,
    ]);
    expect(freeze('{ schedule: "0 18", duration: 62h }')).toEqual([
      `5:21 environments.production.freeze[0].schedule: invalid cron expression "0 18": expected 5 fields (minute hour day-of-month month day-of-week), found 2; ${hint}`,
    ]);
    expect(freeze('{ schedule: "H 18 * * THU", duration: 62h }')[0]).toContain(
      "the randomised H is not supported",
    );
  });

  it("an unknown time zone", () => {
    expect(freeze('{ schedule: "0 18 * * 5", duration: 62h, timezone: Europe/Pariss }')).toEqual([
      '5:60 environments.production.freeze[0].timezone: unknown time zone "Europe/Pariss"; write an IANA name, e.g. "Europe/Paris", "America/New_York" or "UTC"',
    ]);
  });
});

describe("approval gates and hooks", () => {
  const environment = (fields: string) =>
    problems(`project: shop\nenvironments:\n  production:\n${fields}\n${SERVICES}`);

  it("more approvals required than approvers, and escalate without anyone to escalate to", () => {
    expect(environment("    approval: { required: 3, approvers: [alice, bob] }")).toEqual([
      "4:27 environments.production.approval.required: 3 approvals required but only 2 approver(s) listed; the gate could never open",
    ]);
    expect(environment("    approval: { onTimeout: escalate }")).toEqual([
      "4:5 environments.production.approval.escalateTo: onTimeout: escalate needs someone to escalate to: list them in escalateTo",
    ]);
  });

  it("an unknown approval field", () => {
    expect(environment("    approval: { requried: 1 }")).toEqual([
      '4:17 environments.production.approval: unknown approval field "requried", did you mean "required"?',
    ]);
  });

  it("a command string without shell: true, and an unknown hook field", () => {
    expect(environment('    hooks: { pre: [{ command: "npm run migrate" }] }')).toEqual([
      "4:31 environments.production.hooks.pre[0].command: a command string needs a shell: write it as a list ([npm, run, migrate]) or add `shell: true`",
    ]);
    expect(environment("    hooks: { post: [{ command: [npm], timout: 1m }] }")).toEqual([
      '4:39 environments.production.hooks.post[0]: unknown hook field "timout", did you mean "timeout"?',
    ]);
  });

  it("project-level and service-level hooks are checked the same way", () => {
    const text = yaml`
      project: shop
      hooks:
        pre: [{ command: "make smoke" }]
      services:
        api:
          target: { type: sim }
          hooks: { post: [{ comand: [./check.sh] }] }
    `;
    expect(problems(text)).toEqual([
      "3:20 hooks.pre[0].command: a command string needs a shell: write it as a list ([npm, run, migrate]) or add `shell: true`",
      '7:21 services.api.hooks.post[0].command: missing required field "command"',
      '7:23 services.api.hooks.post[0]: unknown hook field "comand", did you mean "command"?',
    ]);
  });
});

describe("canary steps and step dependencies", () => {
  it("a step with two kinds", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim }
          router: { type: builtin, listen: 8080 }
          strategy: { canary: { steps: [{ setWeight: 5, pause: 1m }] } }
    `;
    expect(problems(text)).toEqual([
      "6:35 services.api.strategy.canary.steps[0]: a step has exactly one of setWeight, pause, approval, hook, analysis (plus an optional name); found setWeight, pause",
    ]);
  });

  it("dependsOn a step name the service does not have, with a suggestion", () => {
    const text = yaml`
      project: shop
      services:
        api:
          target: { type: sim }
          router: { type: builtin, listen: 8080 }
          strategy: { canary: { steps: [{ setWeight: 50, name: half }] } }
        web:
          target: { type: sim }
          dependsOn: [{ service: api, step: hlf }]
        admin:
          target: { type: sim }
          dependsOn: [{ service: api, step: nope }]
    `;
    expect(problems(text)).toEqual([
      '9:39 services.web.dependsOn[0].step: unknown step of api "hlf", did you mean "half"?; name a canary step of api, e.g. `- { setWeight: 50, name: hlf }`',
      '12:39 services.admin.dependsOn[0].step: unknown step of api "nope"; expected one of: half; name a canary step of api, e.g. `- { setWeight: 50, name: nope }`',
    ]);
  });

  it("an override whose strategy drops a step another service waits for", () => {
    const text = yaml`
      project: shop
      environments:
        production:
          services:
            api: { strategy: { canary: { steps: [{ setWeight: 50 }] } } }
      services:
        api:
          target: { type: sim }
          router: { type: builtin, listen: 8080 }
          strategy: { canary: { steps: [{ setWeight: 50, name: half }] } }
        web:
          target: { type: sim }
          dependsOn: [{ service: api, step: half }]
    `;
    expect(problems(text)).toEqual([
      '4:5 environments.production.services: with this environment\'s overrides, services.web.dependsOn[0].step: unknown step of api "half"; name a canary step of api, e.g. `- { setWeight: 50, name: half }`',
    ]);
  });

  it("an override's dependsOn is checked like the service's", () => {
    const text = yaml`
      project: shop
      environments:
        production:
          services:
            web: { dependsOn: [db, { service: api, step: hlf }] }
    `;
    expect(problems(text + SERVICES)).toEqual([
      '5:26 environments.production.services.web.dependsOn[0]: unknown service "db"; expected one of: api, web',
      '5:52 environments.production.services.web.dependsOn[1].step: unknown step of api "hlf", did you mean "half"?; name a canary step of api, e.g. `- { setWeight: 50, name: hlf }`',
    ]);
  });
});
