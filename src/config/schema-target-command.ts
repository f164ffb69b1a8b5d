import { z } from "zod";
import type { CommandTargetConfig } from "../core/config.js";
import {
  argv,
  duration,
  nonEmptyString,
  port,
  strictObject,
  stringMap,
  unlessMissing,
} from "./schema-primitives.js";

const COMMANDS = ["deploy", "setWeight", "promote", "rollback", "teardown", "status"] as const;

/** An argv list, or (with `shell: true`) one string for /bin/sh -c. */
const command = z
  .union([nonEmptyString, argv], {
    error: unlessMissing(
      `expected a list of arguments, e.g. [./deploy.sh, "\${version}"], or a string with shell: true`,
    ),
  })
  .meta({
    description: `argv run without a shell (placeholders \${version} \${stableVersion} \${environment} \${service} \${weight} \${replicas}); with shell: true, one string for /bin/sh -c`,
  });

const endpoint = strictObject({
  host: nonEmptyString.default("127.0.0.1"),
  port,
});

/** `type: command`: a service deployed by the user's own commands (see CommandTargetConfig). */
export const commandTarget = strictObject({
  type: z.literal("command"),
  deploy: command,
  setWeight: command.optional(),
  promote: command.optional(),
  rollback: command.optional(),
  teardown: command.optional(),
  status: command.optional().meta({ description: "Health of the deployment: exit 0 is healthy" }),
  shell: z.boolean().default(false),
  cwd: nonEmptyString.optional().meta({ description: "Working directory, relative to the config file" }),
  env: stringMap.default({}),
  deployTimeout: duration.prefault("10m"),
  timeout: duration.prefault("30s").meta({ description: "Timeout of every command but deploy" }),
  endpoint: endpoint.optional(),
  replicas: z
    .literal(1, { error: "a command target runs one deployment per version: replicas is 1" })
    .default(1),
})
  .superRefine((target, ctx) => {
    for (const name of COMMANDS) {
      const value = target[name];
      if (typeof value === "string" && !target.shell) {
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: `a command is a list of arguments (run without a shell), e.g. [${value.split(/\s+/).join(", ")}]; or set shell: true to run this string with /bin/sh -c`,
        });
      }
    }
  })
  .transform((target): CommandTargetConfig => {
    const list = (value: string | string[] | undefined) =>
      value === undefined ? undefined : typeof value === "string" ? [value] : value;
    const { deploy, setWeight, promote, rollback, teardown, status, ...rest } = target;
    const result: CommandTargetConfig = { ...rest, deploy: list(deploy)! };
    const optional = { setWeight, promote, rollback, teardown, status };
    for (const [name, value] of Object.entries(optional)) {
      if (value !== undefined) result[name as keyof typeof optional] = list(value);
    }
    return result;
  });
