import { describe, expect, it } from "vitest";
import { RouterError } from "../../core/errors.js";
import type { RouteTable } from "../types.js";
import { renderNginxConfig } from "./config-text.js";
import { SETTINGS } from "./test-nginx.js";

const endpoint = (id: string, port: number) => ({ id, host: "127.0.0.1", port });

/** The entries of the split_clients block, as [percent or "*", upstream name]. */
function splitEntries(text: string): Array<[string, string]> {
  const block = /split_clients "\$request_id" \$tandem_backend \{\n([\s\S]*?)\n {2}\}/.exec(text);
  if (!block) throw new Error(`no split_clients block in\n${text}`);
  return block[1]!
    .trim()
    .split("\n")
    .map((line) => line.trim().replace(/;$/, "").split(/\s+/) as [string, string]);
}

/** The `server` lines of one upstream block. */
function upstreamServers(text: string, name: string): string[] {
  const block = new RegExp(`upstream ${name} \\{\\n([\\s\\S]*?)\\n {2}\\}`).exec(text);
  if (!block) return [];
  return [...block[1]!.matchAll(/server (\S+) /g)].map((m) => m[1]!);
}

/** Which version each upstream name stands for, from the map block. */
function versionsByUpstream(text: string): Record<string, string> {
  const block = /map \$tandem_backend \$tandem_version \{\n([\s\S]*?)\n {2}\}/.exec(text)!;
  return Object.fromEntries([...block[1]!.matchAll(/(tandem_v\d+) "([^"]+)";/g)].map((m) => [m[1]!, m[2]!]));
}

/** The share each version gets: explicit percentages, and the rest for the `*` entry. */
function sharesByVersion(text: string): Record<string, number> {
  const names = versionsByUpstream(text);
  const shares: Record<string, number> = {};
  let explicit = 0;
  for (const [percent, upstream] of splitEntries(text)) {
    if (percent === "*") continue;
    const value = Number.parseFloat(percent);
    explicit += value;
    shares[names[upstream] ?? upstream] = value;
  }
  const rest = splitEntries(text).find(([percent]) => percent === "*");
  if (rest) shares[names[rest[1]] ?? rest[1]] = Math.round((100 - explicit) * 100) / 100;
  return shares;
}

describe("renderNginxConfig", () => {
  it("splits requests by weight, one upstream per version holding its endpoints", () => {
    const table: RouteTable = {
      backends: [
        { version: "1.0.0", weight: 90, endpoints: [endpoint("a", 4001), endpoint("b", 4002)] },
        { version: "1.1.0", weight: 10, endpoints: [endpoint("c", 4003)] },
      ],
    };
    const text = renderNginxConfig(table, SETTINGS);
    const shares = sharesByVersion(text);
    expect(shares).toEqual({ "1.0.0": 90, "1.1.0": 10 });
    expect(Object.values(shares).reduce((a, b) => a + b, 0)).toBe(100);
    const names = Object.entries(versionsByUpstream(text));
    const upstreamOf = (version: string) => names.find(([, v]) => v === version)![0];
    expect(upstreamServers(text, upstreamOf("1.0.0"))).toEqual(["127.0.0.1:4001", "127.0.0.1:4002"]);
    expect(upstreamServers(text, upstreamOf("1.1.0"))).toEqual(["127.0.0.1:4003"]);
    expect(text).toContain("listen 127.0.0.1:8080;");
    expect(text).toContain("proxy_http_version 1.1;");
    expect(text).toContain('proxy_set_header Connection "";');
    expect(text).toMatch(/proxy_next_upstream error timeout/);
    expect(text).toMatch(/keepalive \d+;/);
    expect(text).toContain('return 200 "7\\n";');
  });

  it("gives three versions fractional weights that still add up to 100%", () => {
    const table: RouteTable = {
      backends: [
        { version: "a", weight: 33.33, endpoints: [endpoint("a", 1)] },
        { version: "b", weight: 33.33, endpoints: [endpoint("b", 2)] },
        { version: "c", weight: 33.34, endpoints: [endpoint("c", 3)] },
      ],
    };
    const shares = sharesByVersion(renderNginxConfig(table, SETTINGS));
    expect(shares).toEqual({ a: 33.33, b: 33.33, c: 33.34 });
  });

  it("sends everything to one version when the other has weight 0 (a 0/100 table)", () => {
    for (const [stable, canary] of [
      [100, 0],
      [0, 100],
    ] as const) {
      const table: RouteTable = {
        backends: [
          { version: "1.0.0", weight: stable, endpoints: [endpoint("a", 4001)] },
          { version: "1.1.0", weight: canary, endpoints: [endpoint("b", 4002)] },
        ],
      };
      const text = renderNginxConfig(table, SETTINGS);
      const entries = splitEntries(text);
      expect(entries).toHaveLength(1);
      expect(entries[0]![0]).toBe("*");
      expect(sharesByVersion(text)).toEqual(stable === 100 ? { "1.0.0": 100 } : { "1.1.0": 100 });
    }
  });

  it("closes client connections after each response unless clientKeepalive is set", () => {
    expect(renderNginxConfig({ backends: [] }, SETTINGS)).toContain("keepalive_timeout 0ms;");
    const kept = renderNginxConfig({ backends: [] }, { ...SETTINGS, clientKeepaliveMs: 75_000 });
    expect(kept).toContain("keepalive_timeout 75000ms;");
  });

  it("answers 503 for an empty table", () => {
    const text = renderNginxConfig({ backends: [] }, SETTINGS);
    expect(splitEntries(text)).toEqual([["*", "none"]]);
    expect(text).toContain("if ($tandem_backend = none) { return 503; }");
    expect(text).not.toMatch(/upstream tandem_v/);
  });

  it("answers 503 for the share of a version that has no endpoint (nginx cannot hold requests)", () => {
    const table: RouteTable = {
      backends: [
        { version: "1.0.0", weight: 30, endpoints: [] },
        { version: "1.1.0", weight: 70, endpoints: [endpoint("b", 4002)] },
      ],
    };
    const text = renderNginxConfig(table, SETTINGS);
    expect(splitEntries(text)).toEqual([
      ["30%", "none"],
      ["*", "tandem_v1"],
    ]);
    expect(text).not.toMatch(/upstream tandem_v0 /);
  });

  it("serves the preview version alone on the preview port, and 503 without one", () => {
    const table: RouteTable = {
      backends: [{ version: "1.0.0", weight: 100, endpoints: [endpoint("a", 4001)] }],
      preview: { version: "1.1.0", endpoints: [endpoint("b", 4002)] },
    };
    const text = renderNginxConfig(table, { ...SETTINGS, previewListen: 8081 });
    expect(text).toContain("listen 127.0.0.1:8081;");
    expect(upstreamServers(text, "tandem_preview")).toEqual(["127.0.0.1:4002"]);
    const without = renderNginxConfig({ backends: table.backends }, { ...SETTINGS, previewListen: 8081 });
    expect(without).toMatch(/map \$host \$tandem_preview \{\n {4}default none;/);
  });

  it("keeps every path under the prefix and the admin server on loopback", () => {
    const text = renderNginxConfig({ backends: [] }, SETTINGS);
    const paths = [...text.matchAll(/"(\/[^"]*)"/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThanOrEqual(7);
    for (const path of paths) expect(path.startsWith(SETTINGS.prefix)).toBe(true);
    expect(text).toContain("listen 127.0.0.1:9901;");
    expect(text).toMatch(/location = \/tandem\/status \{ stub_status; \}/);
  });

  it("brackets IPv6 endpoints and refuses hosts and versions that could break out of a directive", () => {
    const table = (host: string, version = "1.0.0"): RouteTable => ({
      backends: [{ version, weight: 100, endpoints: [{ id: "a", host, port: 80 }] }],
    });
    expect(upstreamServers(renderNginxConfig(table("::1"), SETTINGS), "tandem_v0")).toEqual(["[::1]:80"]);
    expect(() => renderNginxConfig(table("evil; include /etc/passwd"), SETTINGS)).toThrow(RouterError);
    expect(() => renderNginxConfig(table("127.0.0.1", '1.0"; }'), SETTINGS)).toThrow(/cannot be written/);
    expect(() => renderNginxConfig(table("127.0.0.1", "$host"), SETTINGS)).toThrow(RouterError);
  });
});
