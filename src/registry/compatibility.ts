import type { VersionMetadata } from "../core/types.js";
import { suggestFix } from "./suggest-fix.js";
import type { CompatibilityInput, Gap, LiveVersion, Phase, ServiceMove, UnmetRequirement } from "./types.js";
import { compareVersions, effectiveProvides, label, satisfiesRange } from "./versions.js";

/**
 * Compatibility of the versions that can be live together during a release. Pure: no store, no I/O.
 *
 * Versions that can be live: for a service not in the release, its live version ("steady"); for a
 * service X in the release, old X (until its rollout completes) and new X (from when its rollout
 * starts). Two versions of different services are live at the same moment:
 *   - steady & anything: always;
 *   - old X & new T: unless precedes(X, T) (T starts only after X completed);
 *   - new X & old T: unless precedes(T, X);
 *   - new X & new T: always (both end live);
 *   - old & old, old & steady, steady & steady: the current state, which this release does not
 *     change, so it is not checked.
 *
 * A version provides what `effectiveProvides` says (its `provides` plus `<service>: <version>`). A
 * requirement `K: range` of a version C is met when
 *   1. every version of another service that provides K and can be live at the same moment as C
 *      provides a version satisfying the range (semver, prereleases included), and
 *   2. at every moment C is live, some version of another service provides K. This is checked per
 *      moment, not per pair: new web needing `orders-api`, provided by api@2 but no longer by api@3,
 *      is unmet even though api@2 is live beside new web for a while. A moment is a choice, per
 *      service in the release, of old only / both / new only, consistent with `precedes`. For a
 *      version that is not new (old or steady), a requirement nothing provides today is left alone.
 * A service never satisfies its own requirements.
 */

function liveVersions(input: CompatibilityInput): LiveVersion[] {
  const versions: LiveVersion[] = [];
  const add = (service: string, version: string, phase: Phase, meta?: VersionMetadata, move?: ServiceMove) =>
    versions.push({
      service,
      version,
      phase,
      provides: effectiveProvides(meta, service, version),
      requires: meta?.requires ?? {},
      ...(move ? { move } : {}),
    });
  for (const move of input.moves) {
    add(move.service, move.to, "new", move.toMeta, move);
    if (move.from !== null) add(move.service, move.from, "old", move.fromMeta, move);
  }
  for (const live of input.live) add(live.service, live.version, "steady", live.meta);
  return versions;
}

/** Whether two versions of different services can be live at the same moment (see above). */
export function concurrent(
  a: LiveVersion,
  b: LiveVersion,
  precedes: (a: string, b: string) => boolean,
): boolean {
  if (a.phase === "old" && b.phase === "new") return !precedes(a.service, b.service);
  if (a.phase === "new" && b.phase === "old") return !precedes(b.service, a.service);
  return true;
}

/**
 * A moment at which `consumer` is live and no version of another service provides `key`, or
 * undefined. Each moved service must be "new only" if its old version provides the key, "old only"
 * if its new one does; the new-only set must be closed under predecessors and the old-only set under
 * successors, so a moment exists unless an old-only service precedes (or is) a new-only one.
 */
function findGap(
  consumer: LiveVersion,
  key: string,
  versions: LiveVersion[],
  input: CompatibilityInput,
): Gap | undefined {
  const others = versions.filter((v) => v.service !== consumer.service && key in v.provides);
  if (others.some((v) => v.phase === "steady")) return undefined;
  // Not new: only a gap this release opens counts.
  if (consumer.phase !== "new" && !others.some((v) => v.phase === "old")) return undefined;
  const gap: Gap = { replaced: [], notYet: [] };
  for (const move of input.moves) {
    if (move.service === consumer.service) continue;
    const byOld = others.some((v) => v.service === move.service && v.phase === "old");
    const byNew = others.some((v) => v.service === move.service && v.phase === "new");
    if (byOld && byNew) return undefined;
    if (byOld) gap.replaced.push(move);
    else if (byNew) gap.notYet.push(move);
  }
  const newOnly = [
    ...gap.replaced.map((m) => m.service),
    ...(consumer.phase === "new" ? [consumer.service] : []),
  ];
  const oldOnly = [
    ...gap.notYet.map((m) => m.service),
    ...(consumer.phase === "old" ? [consumer.service] : []),
  ];
  for (const o of oldOnly) {
    for (const n of newOnly) if (o === n || input.precedes(o, n)) return undefined;
  }
  return gap;
}

/** Why `provider` can be live beside `consumer`, for messages. */
function whyTogether(consumer: LiveVersion, provider: LiveVersion): string {
  if (provider.phase === "steady") return `${provider.service} is not in this release`;
  if (consumer.phase === "steady") return `${consumer.service} is not in this release`;
  if (consumer.phase === "new" && provider.phase === "old") {
    return `${label(consumer)} may start before ${provider.service}'s rollout to ${provider.move?.to} completes`;
  }
  if (consumer.phase === "old" && provider.phase === "new") {
    return `${label(provider)} may start before ${consumer.service}'s rollout to ${consumer.move?.to} completes`;
  }
  return "both are in this release and stay live after it";
}

function describeGap(gap: Gap, key: string, environment: string): string {
  const clauses: string[] = [];
  if (gap.replaced.length > 0) {
    clauses.push(
      `once ${gap.replaced.map((m) => `${m.service}@${m.to} replaces ${m.service}@${m.from}`).join(" and ")}`,
    );
  }
  if (gap.notYet.length > 0) {
    const pending = gap.notYet.map((m) => `${m.service}@${m.to}`);
    clauses.push(`while ${pending.join(" and ")} ${pending.length > 1 ? "are" : "is"} not live yet`);
  }
  return clauses.length === 0
    ? `nothing live in ${environment} provides ${key}`
    : `nothing live in ${environment} would provide ${key} ${clauses.join(" and ")}`;
}

function describeOffenders(
  consumer: LiveVersion,
  key: string,
  offenders: LiveVersion[],
  environment: string,
): string {
  const named = offenders.map((p) => {
    const capability = p.service === key ? "" : `, providing ${key} ${p.provides[key]},`;
    return { text: `${label(p)}${capability}`, why: whyTogether(consumer, p) };
  });
  if (named.length === 1) {
    const only = named[0]!;
    return `${only.text} would be live in ${environment} at the same time (${only.why})`;
  }
  return `${named.map((n) => `${n.text} (${n.why})`).join(" and ")} would be live in ${environment} at the same time`;
}

/** Versions of services other than `consumerService` that provide `key` in `range`, sorted. */
function satisfyingVersions(
  input: CompatibilityInput,
  consumerService: string,
  key: string,
  range: string,
): string[] {
  const candidates: Array<{ service: string; version: string; meta?: VersionMetadata }> = [
    ...input.known.map((meta) => ({ service: meta.service, version: meta.version, meta })),
    ...input.moves.flatMap((m) => [
      { service: m.service, version: m.to, meta: m.toMeta },
      ...(m.from === null ? [] : [{ service: m.service, version: m.from, meta: m.fromMeta }]),
    ]),
    ...input.live,
  ];
  const found = new Map<string, { service: string; version: string }>();
  for (const c of candidates) {
    if (c.service === consumerService) continue;
    const provided = effectiveProvides(c.meta, c.service, c.version)[key];
    if (provided !== undefined && satisfiesRange(provided, range)) found.set(label(c), c);
  }
  return [...found.values()].sort(compareVersions).map(label);
}

/** Every unmet requirement of every version that can be live during the release (see the rules above). */
export function checkCompatibility(input: CompatibilityInput): UnmetRequirement[] {
  const versions = liveVersions(input);
  const unmet = new Map<string, UnmetRequirement>();
  for (const consumer of versions) {
    for (const [key, range] of Object.entries(consumer.requires)) {
      const offenders = versions.filter(
        (p) =>
          p.service !== consumer.service &&
          (consumer.phase === "new" || p.phase === "new") &&
          p.provides[key] !== undefined &&
          concurrent(consumer, p, input.precedes) &&
          !satisfiesRange(p.provides[key], range),
      );
      const gap = findGap(consumer, key, versions, input);
      if (offenders.length === 0 && !gap) continue;
      const satisfiedBy = satisfyingVersions(input, consumer.service, key, range);
      const problems = [
        ...(offenders.length > 0 ? [describeOffenders(consumer, key, offenders, input.environment)] : []),
        ...(gap ? [describeGap(gap, key, input.environment)] : []),
      ];
      const satisfied =
        satisfiedBy.length > 0
          ? `versions that satisfy it: ${satisfiedBy.join(", ")}`
          : `no known version provides ${key} ${range}`;
      const message = `${label(consumer)} requires ${key} ${range}, but ${problems.join(", and ")}; ${satisfied}`;
      const id = `${label(consumer)}\0${key}\0${range}\0${message}`;
      if (unmet.has(id)) continue;
      unmet.set(id, {
        consumer: label(consumer),
        requirement: key,
        range,
        found: [...new Set(offenders.map(label))],
        satisfiedBy,
        message,
        suggestion: suggestFix({ consumer, key, range, offenders, gap, satisfiedBy, input }),
      });
    }
  }
  return [...unmet.values()];
}
