import type { Command } from "commander";
import { ROLES } from "../api/tokens.js";
import { type GlobalOptions, printJson } from "./context.js";
import { withClient } from "./remote.js";

type Globals = () => GlobalOptions;

const collect = (value: string, previous: string[] = []) => [...previous, value];
const time = (at: number | undefined) => (at === undefined ? "-" : new Date(at).toISOString().slice(0, 16));

/** `tandem token create|list|revoke`: API tokens for `tandem serve`. */
export function registerTokenCommands(program: Command, globals: Globals): void {
  const token = program.command("token").description("API tokens for `tandem serve` (stored hashed)");

  token
    .command("create")
    .description("create a token and print it once")
    .requiredOption("--name <name>", "a unique name; also the actor the token acts as")
    .requiredOption("--role <role>", `one of ${ROLES.join(", ")}`)
    .option(
      "-e, --environment <environment>",
      "limit it to this environment (repeatable; default all); a limited token cannot act project-wide (tokens, publish, down of all)",
      collect,
    )
    .option("--expires <duration>", "e.g. 30d or 12h (default: never)")
    .option("--actor <actor>", "the identity it acts as (default: its name; stored trimmed and lowercased)")
    .action(
      async (options: {
        name: string;
        role: string;
        environment?: string[];
        expires?: string;
        actor?: string;
      }) =>
        withClient(globals(), async (client) => {
          const created = await client.createToken({
            name: options.name,
            role: options.role,
            environments: options.environment ?? [],
            expires: options.expires,
            actor: options.actor,
          });
          if (globals().json) return printJson(created);
          console.log(created.token);
          process.stderr.write(
            `token "${created.record.name}" (${created.record.role}${created.record.environments.length ? ` in ${created.record.environments.join(", ")}` : ""}) created; it is shown only this once\n`,
          );
        }),
    );

  token
    .command("list")
    .description("list tokens (never the tokens themselves)")
    .action(async () =>
      withClient(globals(), async (client) => {
        const tokens = await client.tokens();
        const now = Date.now();
        if (globals().json) return printJson(tokens);
        if (tokens.length === 0) return console.log("no token");
        for (const t of tokens) {
          const state =
            t.revokedAt !== undefined
              ? "revoked"
              : t.expiresAt !== undefined && t.expiresAt <= now
                ? "expired"
                : "active";
          console.log(
            `${t.id}  ${t.name.padEnd(16)} ${t.role.padEnd(9)} ${(t.environments.join(",") || "all").padEnd(16)} created ${time(t.createdAt)}  expires ${time(t.expiresAt)}  ${state}`,
          );
        }
      }),
    );

  token
    .command("revoke")
    .description("revoke a token by name or id")
    .argument("<token>", "name or id")
    .action(async (nameOrId: string) =>
      withClient(globals(), async (client) => {
        await client.revokeToken(nameOrId);
        if (globals().json) return printJson({ revoked: nameOrId });
        console.log(`token ${nameOrId} revoked`);
      }),
    );
}
