import { z } from "zod";
import type { ProbeConfig } from "../core/config.js";
import {
  argv,
  duration,
  headerMap,
  nonEmptyString,
  port,
  strictObject,
  stringMap,
  unknownTypeError,
  unlessMissing,
} from "./schema-primitives.js";

export const PROBE_TYPES = ["http", "tcp", "exec", "grpc"] as const;

const timing = {
  name: nonEmptyString.optional(),
  initialDelay: duration.prefault(0),
  period: duration.prefault("1s"),
  timeout: duration.prefault("1s"),
  failureThreshold: z.number().int().min(1).default(3),
  successThreshold: z.number().int().min(1).default(1),
};

const statusCode = z.number().int().min(100).max(599);
const STATUS_RANGE = /^(\d{3})\s*-\s*(\d{3})$/;

/** `200`, `"200-399"` or `[200, 299]`, normalised to an inclusive range. */
const status = z
  .union([statusCode, z.string(), z.tuple([statusCode, statusCode])], {
    error: unlessMissing('expected a status code (200), a range ("200-399") or a pair ([200, 299])'),
  })
  .transform((input, ctx): [number, number] => {
    let range: [number, number] | undefined;
    if (typeof input === "number") range = [input, input];
    else if (Array.isArray(input)) range = input;
    else {
      const match = STATUS_RANGE.exec(input.trim()) ?? /^(\d{3})$/.exec(input.trim());
      if (match) range = [Number(match[1]), Number(match[2] ?? match[1])];
    }
    if (!range || range[0] > range[1] || range[0] < 100 || range[1] > 599) {
      ctx.issues.push({
        code: "custom",
        message: `invalid status ${JSON.stringify(input)}; write 200, "200-399" or [200, 299] (codes 100-599, low first)`,
        input,
      });
      return z.NEVER;
    }
    return range;
  });

const bodyPattern = z.string().superRefine((pattern, ctx) => {
  try {
    new RegExp(pattern);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
  }
});

const httpProbe = strictObject({
  ...timing,
  type: z.literal("http"),
  path: z.string().startsWith("/", { error: 'a path starts with "/"' }).default("/health"),
  port: port.optional(),
  status: status.prefault("200-399"),
  body: bodyPattern.optional(),
  headers: headerMap.default({}),
});

const tcpProbe = strictObject({ ...timing, type: z.literal("tcp"), port: port.optional() });

const execProbe = strictObject({
  ...timing,
  type: z.literal("exec"),
  command: argv,
  env: stringMap.default({}),
});

const grpcProbe = strictObject({
  ...timing,
  type: z.literal("grpc"),
  port: port.optional(),
  service: z.string().default(""),
});

type ProbeWithOptionalName = ProbeConfig extends infer P
  ? P extends ProbeConfig
    ? Omit<P, "name"> & { name?: string }
    : never
  : never;

function defaultProbeName(probe: ProbeWithOptionalName): string {
  switch (probe.type) {
    case "http":
      return `http:${probe.path}`;
    case "exec":
      return `exec:${probe.command[0]}`;
    case "tcp":
    case "grpc":
      return probe.port === undefined ? probe.type : `${probe.type}:${probe.port}`;
  }
}

export const probeSchema = z
  .discriminatedUnion("type", [httpProbe, tcpProbe, execProbe, grpcProbe], {
    error: unknownTypeError("probe", PROBE_TYPES),
  })
  .transform((probe): ProbeConfig => ({ ...probe, name: probe.name ?? defaultProbeName(probe) }));

/** Two probes of one service may not share a name (results are keyed by it): later ones get `#2`, `#3`. */
function uniqueNames(probes: ProbeConfig[]): ProbeConfig[] {
  const seen = new Map<string, number>();
  return probes.map((probe) => {
    const count = (seen.get(probe.name) ?? 0) + 1;
    seen.set(probe.name, count);
    return count === 1 ? probe : { ...probe, name: `${probe.name}#${count}` };
  });
}

export const healthSchema = z
  .array(probeSchema, {
    error: unlessMissing("expected a list of probes, e.g. [{ type: http, path: /health }]"),
  })
  .transform(uniqueNames);
