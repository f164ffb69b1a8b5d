import { z } from "zod";
import { registerSecret } from "./redact.js";
import { credential, nonEmptyString, strictObject, unknownTypeError } from "./schema-primitives.js";

export const STORE_TYPES = ["sqlite", "postgres"] as const;

const sqliteStore = strictObject({
  type: z.literal("sqlite").default("sqlite"),
  path: nonEmptyString
    .optional()
    .meta({ description: "Relative to the config file. Default <stateDir>/tandem.db" }),
});

/**
 * The connection URL holds the password: the whole URL and the password alone are registered as
 * secrets (masked wherever Tandem writes text), and no message here repeats the value.
 */
const postgresUrl = credential(nonEmptyString)
  .check((ctx) => {
    const url = parseUrl(ctx.value);
    if (!url || (url.protocol !== "postgres:" && url.protocol !== "postgresql:")) {
      ctx.issues.push({
        code: "custom",
        message: `expected a postgres:// (or postgresql://) URL, e.g. \${env:DATABASE_URL}`,
        input: "",
      });
    }
  })
  .transform((value) => {
    const password = parseUrl(value)?.password;
    if (password) registerSecret(decodeURIComponent(password));
    return value;
  });

const postgresStore = strictObject({
  type: z.literal("postgres"),
  url: postgresUrl.meta({
    description: `postgres://user:password@host:port/database, a secret: write \${env:DATABASE_URL} rather than the URL`,
  }),
});

export const storeSchema = z.discriminatedUnion("type", [sqliteStore, postgresStore], {
  error: unknownTypeError("store", STORE_TYPES),
});

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
