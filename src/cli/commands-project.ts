import { existsSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { Command } from "commander";
import { configJsonSchema, initTemplate, loadConfig } from "../config/index.js";
import { TandemError } from "../core/errors.js";
import { configPath, type GlobalOptions, printJson } from "./context.js";
import { withClient } from "./remote.js";

type Globals = () => GlobalOptions;

export function registerProjectCommands(program: Command, globals: Globals): void {
  program
    .command("init")
    .description("write a starter tandem.yaml in this directory")
    .option("-p, --project <name>", "project name (default: the directory name)")
    .option("-f, --force", "overwrite an existing file")
    .action((options: { project?: string; force?: boolean }) => {
      const file = resolve(globals().config ?? "tandem.yaml");
      if (existsSync(file) && !options.force) {
        throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `${file} already exists`, {
          hint: "pass --force to overwrite it",
        });
      }
      const project = (options.project ?? basename(process.cwd())).toLowerCase().replace(/[^a-z0-9-]+/g, "-");
      writeFileSync(file, initTemplate(project));
      console.log(`wrote ${file}; check it with \`tandem validate\`, then \`tandem plan SERVICE@VERSION\``);
    });

  program
    .command("validate")
    .description("check the configuration; errors name file:line:col and the field")
    .action(() => {
      const config = loadConfig(configPath(globals()));
      const services = Object.keys(config.services);
      if (globals().json)
        return printJson({
          valid: true,
          file: config.file,
          services,
          environments: Object.keys(config.environments),
        });
      console.log(`${config.file}: valid (${services.length} service(s): ${services.join(", ")})`);
    });

  program
    .command("schema")
    .description("print the JSON Schema of tandem.yaml")
    .action(() => printJson(configJsonSchema()));

  program
    .command("down")
    .description("stop the project's routers and instances (they keep serving after the CLI exits otherwise)")
    .option("-e, --env <environment>", "only this environment")
    .option("-f, --force", "even while a release is unfinished")
    .action(async (options: { env?: string; force?: boolean }) =>
      withClient(globals(), async (client) => {
        const stopped = await client.down({ environment: options.env, force: options.force });
        if (globals().json) return printJson(stopped);
        console.log(`stopped ${stopped.instances} instance(s) and ${stopped.routers} router(s)`);
      }),
    );
}
