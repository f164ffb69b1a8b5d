import { randomBytes } from "node:crypto";
import type { Endpoint } from "../core/types.js";
import type { InstanceRecord } from "../store/types.js";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** Six random lowercase letters and digits. */
export function randomSuffix(length = 6): string {
  const bytes = randomBytes(length);
  let suffix = "";
  for (const byte of bytes) suffix += ALPHABET[byte % ALPHABET.length];
  return suffix;
}

/** Keeps a name safe as one path segment: anything but letters, digits, `.`, `_` and `-` becomes `_`. */
export function safeSegment(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, "_");
  return safe === "." || safe === ".." ? safe.replace(/\./g, "_") : safe;
}

/** `<service>-<version>-<random6>`, e.g. `api-2.4.0-k3j2x1`. */
export function newInstanceId(service: string, version: string): string {
  return `${safeSegment(service)}-${safeSegment(version)}-${randomSuffix()}`;
}

/** Replaces every `${version}` in `text`. */
export function withVersion(text: string, version: string): string {
  return text.replace(/\$\{version\}/g, () => version);
}

/** Oldest first; instances started in the same millisecond keep the order they were given in. */
export function oldestFirst<T extends { startedAt: number }>(items: T[]): T[] {
  return [...items].sort((a, b) => a.startedAt - b.startedAt);
}

/** The endpoint an instance record describes (what the engine and routers see). */
export function endpointOf(record: InstanceRecord): Endpoint {
  const { id, version, host, port, pid, startedAt } = record;
  return pid === undefined
    ? { id, version, host, port, startedAt }
    : { id, version, host, port, pid, startedAt };
}
