/**
 * `defaults` are merged into every service before validation. A service field wins; objects of the same
 * kind (same `type`, or the same strategy name) merge key by key, recursively; lists (`health`) replace.
 */

import type { PathSegment } from "./path.js";

export type PlainObject = Record<string, unknown>;

export const DEFAULTABLE_FIELDS = ["router", "health", "target", "strategy", "pauseTimeout"] as const;

/** A copy of `value` with every string (deep in arrays and plain objects, keys left alone) mapped. */
export function mapStrings(
  value: unknown,
  map: (text: string, path: PathSegment[]) => string,
  path: PathSegment[] = [],
): unknown {
  if (typeof value === "string") return map(value, path);
  if (Array.isArray(value)) return value.map((item, index) => mapStrings(item, map, [...path, index]));
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, mapStrings(item, map, [...path, key])]),
    );
  }
  return value;
}

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether the defaults' value for `field` is merged into the service's own value (rather than replaced). */
export function mergesWithDefault(field: string, defaultValue: unknown, serviceValue: unknown): boolean {
  if (!isPlainObject(defaultValue) || !isPlainObject(serviceValue)) return false;
  if (field === "router" || field === "target") {
    return serviceValue.type === undefined || serviceValue.type === defaultValue.type;
  }
  if (field === "strategy") {
    const serviceKeys = Object.keys(serviceValue);
    const defaultKeys = Object.keys(defaultValue);
    return serviceKeys.length === 1 && defaultKeys.length === 1 && serviceKeys[0] === defaultKeys[0];
  }
  return false;
}

export function deepMerge(base: PlainObject, override: PlainObject): PlainObject {
  const result: PlainObject = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const baseValue = result[key];
    result[key] = isPlainObject(baseValue) && isPlainObject(value) ? deepMerge(baseValue, value) : value;
  }
  return result;
}

export function mergeDefaults(defaults: unknown, service: unknown): unknown {
  if (!isPlainObject(service) || !isPlainObject(defaults)) return service;
  const merged: PlainObject = { ...service };
  for (const field of DEFAULTABLE_FIELDS) {
    const defaultValue = defaults[field];
    if (defaultValue === undefined) continue;
    const serviceValue = service[field];
    if (serviceValue === undefined) merged[field] = structuredClone(defaultValue);
    else if (mergesWithDefault(field, defaultValue, serviceValue)) {
      merged[field] = deepMerge(defaultValue as PlainObject, serviceValue as PlainObject);
    }
  }
  return merged;
}

/** The whole file with `defaults` merged into each service (other top-level fields untouched). */
export function mergeServiceDefaults(document: unknown): unknown {
  if (!isPlainObject(document) || !isPlainObject(document.services)) return document;
  const services: PlainObject = {};
  for (const [name, service] of Object.entries(document.services)) {
    services[name] = mergeDefaults(document.defaults, service);
  }
  return { ...document, services };
}
