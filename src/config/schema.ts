import { z } from "zod";
import type { RouterConfig, ServiceConfig, TargetConfig } from "../core/config.js";
import { analysisTemplatesSchema } from "./schema-analysis.js";
import { notificationsSchema } from "./schema-notifications.js";
import {
  argv,
  duration,
  NAME_PATTERN,
  nonEmptyString,
  nonNegativeInt,
  port,
  projectName,
  strictObject,
  stringMap,
  unknownTypeError,
  unlessMissing,
} from "./schema-primitives.js";
import { healthSchema } from "./schema-probes.js";
import { dependencySchema, environmentSchema, hooksSchema } from "./schema-release.js";
import { nginxRouterSchema } from "./schema-router-nginx.js";
import { storeSchema } from "./schema-store.js";
import { strategySchema } from "./schema-strategy.js";
import { commandTarget } from "./schema-target-command.js";
import { githubActionsTarget } from "./schema-target-github.js";

export const TARGET_TYPES = ["process", "sim", "command", "github-actions"] as const;
export const ROUTER_TYPES = ["builtin", "nginx", "none"] as const;

const replicas = z
  .number()
  .int({ error: "replicas is a whole number" })
  .min(1, { error: "replicas must be at least 1" })
  .default(1);

const processTarget = strictObject({
  type: z.literal("process"),
  command: argv.meta({ description: `argv, run without a shell; \${version} is replaced` }),
  cwd: nonEmptyString.optional().meta({ description: "Working directory, relative to the config file" }),
  env: stringMap.default({}),
  replicas,
  stopTimeout: duration.prefault("10s"),
});

const simTarget = strictObject({
  type: z.literal("sim"),
  replicas,
  startupTime: duration.prefault(0),
  unhealthyVersions: z
    .array(z.string({ error: 'expected a version string (quote versions like "2.0")' }))
    .default([]),
});

export const targetSchema = z.discriminatedUnion(
  "type",
  [processTarget, simTarget, commandTarget, githubActionsTarget],
  {
    error: unknownTypeError("target", TARGET_TYPES),
  },
);

const builtinRouter = strictObject({
  type: z.literal("builtin"),
  listen: port.meta({ description: "Port the router listens on for the service's traffic" }),
  host: nonEmptyString.default("127.0.0.1"),
  holdTimeout: duration.prefault("30s"),
  holdMaxRequests: nonNegativeInt.default(1000),
  previewListen: port
    .meta({
      description: "A second port that serves only the version being released, before it gets traffic",
    })
    .optional(),
});

const noRouter = strictObject({ type: z.literal("none") });

export const routerSchema = z.discriminatedUnion("type", [builtinRouter, nginxRouterSchema, noRouter], {
  error: unknownTypeError("router", ROUTER_TYPES),
});

const serviceName = z.string().regex(NAME_PATTERN, {
  error: "a service name uses letters, digits, dashes, dots and underscores",
});

/** A service after `defaults` were merged into it; the loader adds `name`. */
export const serviceSchema = strictObject({
  target: targetSchema.meta({
    description: "Where the service's instances run: process, command, github-actions or sim (`type`)",
  }),
  router: routerSchema.prefault({ type: "none" }).meta({
    description: "How traffic reaches the instances and is split between versions: builtin, nginx or none",
  }),
  health: healthSchema.default([]).meta({
    description: "Probes every new instance must pass (http, tcp, exec, grpc); a failure rolls back",
  }),
  strategy: strategySchema.prefault({ rolling: {} }),
  dependsOn: z.array(dependencySchema).default([]).meta({
    description: "Services of the same release that move first (a name, or { service, step })",
  }),
  hooks: hooksSchema.meta({ description: "Commands run before (pre) and after (post) this service moves" }),
  pauseTimeout: duration.prefault("24h").meta({
    description: "How long a pause waiting for a person may last before the rollout rolls back",
  }),
});

const defaultsSchema = strictObject({
  router: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ description: "Router fields merged into every service's router (same type)" }),
  health: healthSchema.optional().meta({ description: "Probes of services that list none" }),
  target: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ description: "Target fields merged into every service's target (same type)" }),
  strategy: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ description: "Strategy used by services that name none, merged when they name the same one" }),
  pauseTimeout: duration.optional(),
});

export const fileSchema = strictObject({
  project: projectName.meta({
    description: "The project's name: releases, tokens and the store belong to it",
  }),
  store: storeSchema
    .default({ type: "sqlite" })
    .meta({ description: "Where releases, events and the registry are kept: sqlite (default) or postgres" }),
  stateDir: nonEmptyString
    .default(".tandem")
    .meta({ description: "Directory for the sqlite store, logs and process state, relative to this file" }),
  environments: z
    .record(
      z.string().regex(NAME_PATTERN, {
        error: "an environment name uses letters, digits, dashes, dots and underscores",
      }),
      environmentSchema,
    )
    .prefault({ default: {} })
    .meta({
      description:
        "Environments by name (staging, production…): promotion order, approval gate, freezes, overrides",
    }),
  defaults: defaultsSchema
    .optional()
    .meta({ description: "Fields merged into every service; a service's own win" }),
  rollbackPolicy: z
    .enum(["release", "service"], { error: 'expected "release" or "service"' })
    .default("release")
    .meta({
      description:
        "When a service fails: release rolls back the services this release already moved (reverse dependency order); service leaves them",
    }),
  hooks: hooksSchema.meta({
    description: "Release-level hooks: pre before any service moves, post after all succeeded",
  }),
  analysis: analysisTemplatesSchema.meta({
    description: "Analysis templates by name, used by canary `analysis` steps and background analysis",
  }),
  notifications: notificationsSchema.meta({
    description: "Notification channels: slack, teams, email, webhook",
  }),
  services: z
    .record(serviceName, serviceSchema, {
      error: unlessMissing("expected a map of service names to services"),
    })
    .refine((services) => Object.keys(services).length > 0, { error: "declare at least one service" })
    .meta({ description: "The services released by this project, by name" }),
}).meta({ title: "tandem.yaml", description: "Tandem configuration file" });

export type FileConfig = z.output<typeof fileSchema>;

/* Compile-time guarantee that the schema produces exactly the types of src/core/config.ts. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameService: Same<z.output<typeof serviceSchema>, Omit<ServiceConfig, "name">> = true;
const sameTarget: Same<z.output<typeof targetSchema>, TargetConfig> = true;
const sameRouter: Same<z.output<typeof routerSchema>, RouterConfig> = true;
void [sameService, sameTarget, sameRouter];
