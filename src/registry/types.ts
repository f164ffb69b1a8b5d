import type { VersionMetadata } from "../core/types.js";

/** The shapes of a compatibility check (compatibility.ts), shared by its helpers. */

export interface ServiceMove {
  service: string;
  /** The version live now; null if nothing is. */
  from: string | null;
  /** The version in the release. */
  to: string;
  fromMeta?: VersionMetadata;
  toMeta?: VersionMetadata;
}

/** A service not in the release, and the version that stays live throughout it. */
export interface LiveService {
  service: string;
  version: string;
  meta?: VersionMetadata;
}

export interface CompatibilityInput {
  environment: string;
  moves: ServiceMove[];
  live: LiveService[];
  /** precedes(a, b): true when b's rollout starts only after a's completed (transitive, from the release DAG). */
  precedes(a: string, b: string): boolean;
  /** All known (published) versions, to suggest fixes. */
  known: VersionMetadata[];
}

export interface UnmetRequirement {
  /** The version whose requirement is unmet, `web@1.8.0`. */
  consumer: string;
  /** The service or capability required, `api`. */
  requirement: string;
  range: string;
  /** Providers live at the same time whose version does not satisfy the range (`["api@2.3.1"]`); [] when nothing provides it. */
  found: string[];
  /** Versions of other services known to satisfy the requirement (published, in the release or live), `["api@2.4.0"]`. */
  satisfiedBy: string[];
  message: string;
  /** What would fix it, e.g. `add api@2.5.1 to the release`. */
  suggestion: string;
}

export type Phase = "steady" | "old" | "new";

/** One version that can be live during the release. */
export interface LiveVersion {
  service: string;
  version: string;
  phase: Phase;
  provides: Record<string, string>;
  requires: Record<string, string>;
  /** The service's move, when it is in the release. */
  move?: ServiceMove;
}

/** A moment at which nothing provides the requirement. */
export interface Gap {
  /** Moves whose old version provided it and whose new one does not (they completed). */
  replaced: ServiceMove[];
  /** Moves whose new version provides it and whose old one does not (they have not started). */
  notYet: ServiceMove[];
}
