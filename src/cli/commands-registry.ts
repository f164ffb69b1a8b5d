import type { Command } from "commander";
import type { VersionMetadata } from "../core/types.js";
import { parsePairs, readManifestFile, type VersionManifest } from "../registry/manifest.js";
import type { EnvironmentRegistry, RequirementCheck } from "../registry/view.js";
import { type GlobalOptions, printJson } from "./context.js";
import { withClient } from "./remote.js";

type Globals = () => GlobalOptions;

const collect = (value: string, previous: string[] = []) => [...previous, value];
const time = (at: number) =>
  new Date(at)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
const pairs = (map: Record<string, string>) =>
  Object.entries(map)
    .map(([name, value]) => `${name} ${value}`)
    .join(", ") || "-";

export function registerRegistryCommands(program: Command, globals: Globals): void {
  const registry = program
    .command("registry")
    .description("what runs where, each live version's requirements, and version metadata")
    .option("-e, --env <environment>", "only this environment")
    .action(async (options: { env?: string }) =>
      withClient(globals(), async (client) => {
        const view = await client.registry(options.env);
        if (globals().json) return printJson(view);
        console.log(view.environments.map(environmentText).join("\n\n"));
      }),
    );

  registry
    .command("publish")
    .description("record what SERVICE@VERSION provides and requires (run by CI when it builds the artifact)")
    .argument("<service>", "service name")
    .argument("<version>", "version, e.g. 2.4.0")
    .option("--provides <name:version>", "a capability this version provides (repeatable)", collect)
    .option(
      "--requires <name:range>",
      "a service or capability this version needs, e.g. api:^2.4 (repeatable)",
      collect,
    )
    .option("--manifest <file>", "read provides/requires from a tandem-version.yaml (flags add to it)")
    .action(
      async (
        service: string,
        version: string,
        options: { provides?: string[]; requires?: string[]; manifest?: string },
      ) => {
        const fromFile: VersionManifest = options.manifest
          ? readManifestFile(options.manifest)
          : { provides: {}, requires: {} };
        const metadata = {
          provides: { ...fromFile.provides, ...parsePairs(options.provides ?? [], "provides") },
          requires: { ...fromFile.requires, ...parsePairs(options.requires ?? [], "requires") },
        };
        await withClient(globals(), async (client) => {
          const stored = await client.publishVersion({ service, version, ...metadata });
          if (globals().json) return printJson(stored);
          console.log(`published ${service}@${version}`);
          console.log(`  provides: ${pairs(stored.provides)}`);
          console.log(`  requires: ${pairs(stored.requires)}`);
        });
      },
    );

  registry
    .command("versions")
    .description("the published versions of SERVICE, newest first, with what they provide and require")
    .argument("<service>", "service name")
    .action(async (service: string) =>
      withClient(globals(), async (client) => {
        const versions = await client.versions(service);
        if (globals().json) return printJson(versions);
        if (versions.length === 0) return console.log(`no published version of ${service}`);
        console.log(versions.map(versionText).join("\n"));
      }),
    );
}

function versionText(v: VersionMetadata): string {
  return [
    `${v.service}@${v.version}  published ${time(v.publishedAt)} by ${v.publishedBy} (${v.source})`,
    `  provides: ${pairs(v.provides)}`,
    `  requires: ${pairs(v.requires)}`,
  ].join("\n");
}

function environmentText(env: EnvironmentRegistry): string {
  const lines = [`${env.environment}:`];
  const width = Math.max(8, ...env.services.map((s) => s.service.length));
  for (const s of env.services) {
    const since = s.at === undefined ? "" : `  since ${time(s.at)}  release ${s.releaseId}`;
    lines.push(`  ${s.service.padEnd(width)}  ${(s.version ?? "(none)").padEnd(12)}${since}`.trimEnd());
  }
  lines.push("  requirements:");
  if (env.requirements.length === 0) lines.push("    (no live version declares requirements)");
  for (const check of env.requirements) lines.push(`    ${requirementText(check)}`);
  return lines.join("\n");
}

function requirementText(check: RequirementCheck): string {
  const head = `${check.satisfied ? "✓" : "✗"} ${check.consumer} requires ${check.requirement} ${check.range}`;
  if (check.providers.length === 0) return `${head}: nothing live provides ${check.requirement}`;
  const providers = check.providers.map((p) => {
    const what = p.provider.startsWith(`${check.requirement}@`)
      ? ""
      : ` (${check.requirement} ${p.provides})`;
    return `${p.satisfies ? "" : "not "}${p.provider}${what}`;
  });
  return `${head}: ${providers.join(", ")}`;
}
