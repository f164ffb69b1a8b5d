/**
 * The API's answers as the dashboard reads them, derived from api-types.gen.ts (generated from the
 * OpenAPI document by `npm run gen:web-types`); the delivery report's types are the server's own
 * (src/analytics/types.ts has no imports; type-only, erased from the bundle).
 */
import type { operations } from "./api-types.gen.js";

type Ok<Op extends keyof operations> = operations[Op]["responses"] extends {
  200: { content: { "application/json": infer T } };
}
  ? T
  : never;

/** T without its index signature (open objects have one): the declared fields only. */
type Known<T> = { [K in keyof T as string extends K ? never : K]: T[K] };

type ApiRelease = Ok<"getReleasesById">;
type ApiRollout = ApiRelease["rollouts"][number];

export type Whoami = Ok<"getWhoami">;
export type Role = Whoami["role"];
export type Status = ApiRelease["status"];

/** A strategy step: the union of the six step types, told apart by `type`. */
export type Step = ApiRollout["steps"][number];
export type AnalysisRun = NonNullable<ApiRollout["analysis"]>;
export type AnalysisSpec = AnalysisRun["spec"];
export type MetricSpec = AnalysisSpec["metrics"][number];
export type MetricRecord = AnalysisRun["history"][number];

export type ApprovalDecision = Gate["decisions"][number];
export type Gate = NonNullable<ApiRelease["approval"]>;
export type InstanceCount = NonNullable<ApiRollout["instances"]>["new"];

export type Rollout = Known<ApiRollout>;

export type Release = Omit<Known<ApiRelease>, "rollouts"> & { rollouts: Rollout[] };
export type TandemEvent = Ok<"getReleasesByIdEvents">[number];
export type WhereEntry = Ok<"getRegistryWhere">[number];
export type RegistryView = Ok<"getRegistry">;

// The delivery report is the server's own type (type-only: nothing of the server reaches the bundle).
export type { Band, DeliveryReport, Metrics, Spread, Trend, WeekBucket } from "../analytics/types.js";
