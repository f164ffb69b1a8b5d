import type { CompatibilityInput, Gap, LiveVersion } from "./types.js";
import { compareVersions, effectiveProvides, label, satisfiesRange } from "./versions.js";

export interface FixContext {
  consumer: LiveVersion;
  key: string;
  range: string;
  /** Providers live beside the consumer whose version does not satisfy the range. */
  offenders: LiveVersion[];
  gap?: Gap | undefined;
  /** Sorted by service, then version ascending. */
  satisfiedBy: string[];
  input: CompatibilityInput;
}

const order = (first: string, then: string) =>
  `release ${first} before ${then} (add ${first} to ${then}'s dependsOn)`;

/** The newest version of `service` among labels sorted ascending. */
function newest(labels: string[], service: string): string | undefined {
  return labels.filter((l) => l.slice(0, l.lastIndexOf("@")) === service).at(-1);
}

/** Orderings that remove the conflict: the consumer waits for a good provider, or finishes before a bad one starts. */
function orderings({ consumer, key, range, offenders, gap }: FixContext): string[] {
  const fixes: string[] = [];
  for (const p of offenders) {
    if (consumer.phase === "new" && p.phase === "old" && p.move) {
      const fresh = effectiveProvides(p.move.toMeta, p.service, p.move.to)[key];
      if (fresh !== undefined && satisfiesRange(fresh, range)) fixes.push(order(p.service, consumer.service));
    }
    if (consumer.phase === "old" && p.phase === "new" && consumer.move) {
      // Only if the consumer's new version accepts what p provides.
      const needs = consumer.move.toMeta?.requires[key];
      if (needs === undefined || satisfiesRange(p.provides[key]!, needs))
        fixes.push(order(consumer.service, p.service));
    }
  }
  if (gap && consumer.phase === "new")
    for (const m of gap.notYet) fixes.push(order(m.service, consumer.service));
  if (gap && consumer.phase === "old")
    for (const m of gap.replaced) fixes.push(order(consumer.service, m.service));
  return fixes;
}

/** Provider versions known to satisfy the requirement. */
function providerVersions({ offenders, gap, satisfiedBy, input }: FixContext): string[] {
  const fixes: string[] = [];
  for (const p of offenders) {
    const best = newest(satisfiedBy, p.service);
    if (!best) continue;
    if (p.phase === "steady") fixes.push(`add ${best} to the release`);
    if (p.phase === "new") fixes.push(`release ${best} instead of ${label(p)}`);
  }
  if (fixes.length === 0 && (gap || offenders.length === 0) && satisfiedBy.length > 0) {
    const first = satisfiedBy[0]!;
    const service = first.slice(0, first.lastIndexOf("@"));
    const best = newest(satisfiedBy, service)!;
    const moving = input.moves.find((m) => m.service === service);
    fixes.push(moving ? `release ${best} instead of ${service}@${moving.to}` : `add ${best} to the release`);
  }
  return fixes;
}

/** A newer version of a consumer that is not in the release, accepting what will be live. */
function consumerVersions({ consumer, key, offenders, input }: FixContext): string[] {
  if (consumer.phase !== "steady" || offenders.length === 0) return [];
  const accepting = input.known
    .filter((k) => k.service === consumer.service && k.version !== consumer.version)
    .filter((k) => {
      const needs = k.requires[key];
      return needs === undefined || offenders.every((p) => satisfiesRange(p.provides[key]!, needs));
    })
    .map((k) => ({ service: k.service, version: k.version }));
  const best = accepting.sort(compareVersions).at(-1);
  return best ? [`add ${label(best)} to the release`] : [];
}

/** A short, actionable fix for an unmet requirement, for hints: `add api@2.5.1 to the release`. */
export function suggestFix(context: FixContext): string {
  // A consumer outside the release is better upgraded than its providers held back.
  const strategies =
    context.consumer.phase === "steady"
      ? [orderings, consumerVersions, providerVersions]
      : [orderings, providerVersions, consumerVersions];
  for (const strategy of strategies) {
    const fixes = [...new Set(strategy(context))];
    if (fixes.length > 0) return fixes.join("; ");
  }
  const { key, range, consumer } = context;
  return `publish a version that provides ${key} ${range}, or change ${label(consumer)}'s requirement`;
}
