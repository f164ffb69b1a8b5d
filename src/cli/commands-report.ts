import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { renderHtml } from "../analytics/html.js";
import { renderMarkdown } from "../analytics/markdown.js";
import type { DeliveryReport } from "../analytics/types.js";
import { TandemError } from "../core/errors.js";
import { parseWhen } from "../core/when.js";
import type { GlobalOptions } from "./context.js";
import { withClient } from "./remote.js";

type Globals = () => GlobalOptions;

const FORMATS = ["markdown", "html", "json"] as const;
type Format = (typeof FORMATS)[number];

interface ReportFlags {
  format?: string;
  output?: string;
  since?: string;
  until?: string;
  environment?: string;
  env?: string;
  service?: string;
}

function render(report: DeliveryReport, format: Format): string {
  if (format === "html") return renderHtml(report);
  if (format === "markdown") return renderMarkdown(report);
  return `${JSON.stringify(report, null, 2)}\n`;
}

function output(text: string, file: string | undefined): void {
  if (file === undefined) return void process.stdout.write(text);
  const path = resolve(file);
  writeFileSync(path, text);
  process.stderr.write(`report written to ${path}\n`);
}

export function registerReportCommand(program: Command, globals: Globals): void {
  program
    .command("report")
    .description(
      "delivery analytics: the DORA metrics (deployment frequency, lead time, change failure rate, time to restore) per environment and service, with weekly trends",
    )
    .addOption(new Option("--format <format>", "markdown, html or json (default markdown; json with --json)"))
    .option("-o, --output <file>", "write the report to FILE instead of stdout")
    .option("--since <when>", "start of the window: a duration back from now (30d) or a date (default: 30d)")
    .option("--until <when>", "end of the window: a duration back from now or a date (default: now)")
    .option("-e, --environment <environment>", "only this environment")
    .addOption(new Option("--env <environment>").hideHelp())
    .option("-s, --service <service>", "only this service")
    .action(async (flags: ReportFlags) => {
      const format = (flags.format ?? (globals().json ? "json" : "markdown")) as Format;
      if (!FORMATS.includes(format)) {
        throw new TandemError(
          "TANDEM_ERR_INVALID_REQUEST",
          `--format "${flags.format}" is not one of ${FORMATS.join(", ")}`,
        );
      }
      await withClient(globals(), async (client) => {
        const now = client.now();
        const report = await client.deliveryReport({
          since: flags.since === undefined ? undefined : parseWhen("--since", flags.since, now),
          until: flags.until === undefined ? undefined : parseWhen("--until", flags.until, now),
          environment: flags.environment ?? flags.env,
          service: flags.service,
        });
        output(render(report, format), flags.output);
      });
    });
}
