import { z } from "zod";
import { duration, nonEmptyString, port, strictObject } from "./schema-primitives.js";

/** `router: { type: nginx, ... }`: Tandem runs and reloads an nginx master of the service's own. */
export const nginxRouterSchema = strictObject({
  type: z.literal("nginx"),
  listen: port.meta({ description: "Port nginx listens on for the service's traffic" }),
  host: nonEmptyString.default("127.0.0.1"),
  nginx: nonEmptyString.optional().meta({
    description: "Path of the nginx binary; default `nginx` on PATH, else /usr/sbin/nginx",
  }),
  workerProcesses: z
    .union([
      z.literal("auto"),
      z.number().int({ error: "workerProcesses is a whole number or auto" }).min(1, {
        error: "workerProcesses must be at least 1 (or auto)",
      }),
    ])
    .default(1)
    .meta({ description: "nginx worker_processes: a count, or auto for one per CPU" }),
  clientKeepalive: duration.prefault(0).meta({
    description:
      "How long nginx keeps an idle client connection open; 0 (default) closes it after each response, " +
      "so a reload never races a client reusing a connection an old worker closes",
  }),
  previewListen: port
    .meta({
      description: "A second port that serves only the version being released, before it gets traffic",
    })
    .optional(),
});
