import { describe, expect, it } from "vitest";
import { parseConfig } from "./loader.js";
import { FILE, problems, yaml } from "./test-helpers.js";

const service = (router: string) => yaml`
  project: shop
  environments: { staging: {} }
  services:
    api:
      target: { type: process, command: [node, server.js] }
      router: ${router}
      strategy: { canary: { steps: [{ setWeight: 10 }] } }
`;

describe("router type nginx in the configuration", () => {
  it("fills in the defaults", () => {
    const config = parseConfig(service("{ type: nginx, listen: 8080 }"), FILE, { env: {} });
    expect(config.services.api!.router).toEqual({
      type: "nginx",
      listen: 8080,
      host: "127.0.0.1",
      workerProcesses: 1,
      clientKeepalive: 0,
    });
  });

  it("takes a binary path, auto workers and a preview port", () => {
    const router =
      "{ type: nginx, listen: 8080, nginx: /opt/nginx/sbin/nginx, workerProcesses: auto, previewListen: 8081, clientKeepalive: 75s }";
    const config = parseConfig(service(router), FILE, { env: {} });
    expect(config.services.api!.router).toMatchObject({
      nginx: "/opt/nginx/sbin/nginx",
      workerProcesses: "auto",
      previewListen: 8081,
      clientKeepalive: 75_000,
    });
  });

  it("reports bad fields at their line and column", () => {
    expect(problems(service("{ type: nginx, listen: 8080, workerProcesses: 0 }"))).toEqual([
      "6:59 services.api.router.workerProcesses: workerProcesses must be at least 1 (or auto)",
    ]);
    expect(problems(service("{ type: nginx }")).join("\n")).toMatch(/services\.api\.router\.listen/);
    expect(
      problems(service("{ type: nginx, listen: 8080, reload: [nginx, -s, reload] }")).join("\n"),
    ).toMatch(/services\.api\.router.*reload/);
  });

  it("refuses the same port for two nginx routers", () => {
    const text = yaml`
      project: shop
      environments: { staging: {} }
      services:
        api:
          target: { type: process, command: [node, a.js] }
          router: { type: nginx, listen: 8080 }
        web:
          target: { type: process, command: [node, b.js] }
          router: { type: nginx, listen: 8080 }
    `;
    expect(problems(text).join("\n")).toMatch(/port 8080 is already used by services\.api\.router\.listen/);
  });
});
