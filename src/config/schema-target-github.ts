import { z } from "zod";
import { credential, duration, nonEmptyString, strictObject, stringMap } from "./schema-primitives.js";

const MAX_POLL_INTERVAL_MS = 30_000;

/** `type: github-actions`: a service deployed by a `workflow_dispatch` workflow of its own repository. */
export const githubActionsTarget = strictObject({
  type: z.literal("github-actions"),
  owner: nonEmptyString.meta({ description: "Owner (user or organisation) of the repository" }),
  repo: nonEmptyString.meta({ description: "Repository holding the deploy workflow" }),
  workflow: z
    .union([nonEmptyString, z.number().int().min(1)], {
      error: "expected a workflow file name (deploy.yml) or a numeric workflow id",
    })
    .transform(String)
    .meta({ description: "Workflow file name (deploy.yml) or numeric id" }),
  ref: nonEmptyString.default("main").meta({ description: "Branch or tag the workflow runs on" }),
  inputs: stringMap
    .default({})
    .meta({ description: `Extra workflow inputs; \${version} and \${environment} are replaced` }),
  token: credential(nonEmptyString).meta({
    description: `A token allowed to run workflows (actions: write), e.g. \${env:GITHUB_TOKEN}`,
  }),
  baseUrl: z
    .url({ error: "expected the API's base URL, e.g. https://github.example.com/api/v3" })
    .default("https://api.github.com")
    .transform((url) => url.replace(/\/+$/, "")),
  startTimeout: duration
    .prefault("2m")
    .meta({ description: "Fail when the dispatched run does not appear within this long" }),
  pollInterval: duration
    .prefault("5s")
    .refine((ms) => ms > 0 && ms <= MAX_POLL_INTERVAL_MS, {
      error: "pollInterval must be more than 0 and at most 30s",
    })
    .meta({ description: "First wait between status requests; grows to 30s" }),
  timeout: duration.prefault("30m").meta({ description: "Cancel and fail a run that takes longer" }),
  rollbackWorkflow: z
    .union([nonEmptyString, z.number().int().min(1)])
    .transform(String)
    .optional()
    .meta({ description: "Workflow dispatched with the stable version after a rollback" }),
  promoteWorkflow: z
    .union([nonEmptyString, z.number().int().min(1)])
    .transform(String)
    .optional()
    .meta({ description: "Workflow dispatched when a rollout completes" }),
  replicas: z
    .literal(1, { error: "a github-actions target runs one deployment per version: replicas is 1" })
    .default(1),
});
