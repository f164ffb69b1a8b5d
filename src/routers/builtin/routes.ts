import { RouterError } from "../../core/errors.js";
import type { RouteBackend, RouteEndpoint, RouteTable } from "../types.js";

export const EMPTY_ROUTE_TABLE: RouteTable = { backends: [] };

/** Weights are percentages; float sums such as 33.3 + 33.3 + 33.4 are accepted within this slack. */
const WEIGHT_SUM_TOLERANCE = 1e-6;

/**
 * Checks a route table received from outside (admin API, client) and returns a clean copy holding only
 * known fields. Throws an Error whose message names the offending field.
 */
export function parseRouteTable(input: unknown): RouteTable {
  if (!isObject(input) || !Array.isArray(input.backends)) {
    throw new Error('a route table is an object with a "backends" array');
  }
  const versions = new Set<string>();
  const endpointIds = new Set<string>();
  const backends: RouteBackend[] = [];
  let weightSum = 0;
  input.backends.forEach((raw: unknown, index) => {
    const where = `backends[${index}]`;
    if (!isObject(raw)) throw new Error(`${where} must be an object`);
    const { version, weight, endpoints } = raw;
    if (typeof version !== "string" || version === "") {
      throw new Error(`${where}.version must be a non-empty string`);
    }
    if (versions.has(version)) throw new Error(`${where}.version "${version}" appears twice`);
    versions.add(version);
    if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0 || weight > 100) {
      throw new Error(`${where}.weight must be a number from 0 to 100, got ${JSON.stringify(weight)}`);
    }
    weightSum += weight;
    if (!Array.isArray(endpoints)) throw new Error(`${where}.endpoints must be an array`);
    backends.push({
      version,
      weight,
      endpoints: endpoints.map((e: unknown, i) => parseEndpoint(e, `${where}.endpoints[${i}]`, endpointIds)),
    });
  });
  if (backends.length > 0 && Math.abs(weightSum - 100) > WEIGHT_SUM_TOLERANCE) {
    throw new Error(`the weights of the backends must add up to 100, they add up to ${weightSum}`);
  }
  if (input.preview === undefined) return { backends };
  return { backends, preview: parsePreview(input.preview) };
}

function parsePreview(raw: unknown): NonNullable<RouteTable["preview"]> {
  if (!isObject(raw)) throw new Error("preview must be an object");
  const { version, endpoints } = raw;
  if (typeof version !== "string" || version === "")
    throw new Error("preview.version must be a non-empty string");
  if (!Array.isArray(endpoints)) throw new Error("preview.endpoints must be an array");
  const ids = new Set<string>();
  return {
    version,
    endpoints: endpoints.map((e: unknown, i) => parseEndpoint(e, `preview.endpoints[${i}]`, ids)),
  };
}

/** The preview section as a table the preview listener's proxy serves (all of it to the one version). */
export function previewTable(table: RouteTable): RouteTable {
  return table.preview ? { backends: [{ ...table.preview, weight: 100 }] } : EMPTY_ROUTE_TABLE;
}

function parseEndpoint(raw: unknown, where: string, seenIds: Set<string>): RouteEndpoint {
  if (!isObject(raw)) throw new Error(`${where} must be an object`);
  const { id, host, port } = raw;
  if (typeof id !== "string" || id === "") throw new Error(`${where}.id must be a non-empty string`);
  if (seenIds.has(id)) throw new Error(`${where}.id "${id}" appears twice in the table`);
  seenIds.add(id);
  if (typeof host !== "string" || host === "") throw new Error(`${where}.host must be a non-empty string`);
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${where}.port must be an integer from 1 to 65535, got ${JSON.stringify(port)}`);
  }
  return { id, host, port };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The table a router is asked to apply, validated; a RouterError names the service when it is not valid. */
export function checkedRouteTable(table: RouteTable, service: string): RouteTable {
  try {
    return parseRouteTable(table);
  } catch (error) {
    throw new RouterError(`invalid route table for ${service}: ${(error as Error).message}`);
  }
}
