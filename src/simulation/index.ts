export { seeded } from "../analysis/stats/random.js";
export { type FixedWindowOptions, fixedWindowPolicy } from "./policies/fixed-window.js";
export { type FlaggerOptions, flaggerPolicy } from "./policies/flagger.js";
export { type TandemOptions, tandemPolicy } from "./policies/tandem.js";
export type { CompareJudge, CompareSpec, Policy, PolicyDecision, SequentialTest } from "./policies/types.js";
export { type RolloutOutcome, type RunOptions, runRollout } from "./run-rollout.js";
export {
  accumulate,
  addSample,
  bucketProbabilities,
  emptySample,
  simulateTraffic,
  subtractSample,
  type TrafficInterval,
  type TrafficSpec,
  type TrafficTick,
  TrafficTrace,
  type VersionBehaviour,
} from "./traffic.js";
