import { describe, expect, it } from "vitest";
import { systemClock } from "../core/clock.js";
import type { RouterConfig } from "../core/config.js";
import { UnknownTypeError } from "../core/errors.js";
import { silentLogger } from "../core/types.js";
import { BuiltinRouter } from "./builtin/client.js";
import { routerOnlyStore } from "./builtin/test-store.js";
import { createRouter } from "./index.js";
import { NginxRouter } from "./nginx/router.js";
import { NoneRouter } from "./none.js";
import type { RouterContext } from "./types.js";

const context: RouterContext = {
  project: "shop",
  environment: "test",
  service: "api",
  stateDir: "/tmp/tandem-router-index-test",
  store: routerOnlyStore(),
  clock: systemClock,
  log: silentLogger,
};

describe("createRouter", () => {
  it("creates the router a configuration names", () => {
    expect(createRouter({ type: "none" }, context)).toBeInstanceOf(NoneRouter);
    const builtin: RouterConfig = {
      type: "builtin",
      listen: 8080,
      host: "127.0.0.1",
      holdTimeout: 1000,
      holdMaxRequests: 10,
    };
    const router = createRouter(builtin, context);
    expect(router).toBeInstanceOf(BuiltinRouter);
    expect(router.address()).toEqual({ host: "127.0.0.1", port: 8080 });
    const nginx = createRouter(
      { type: "nginx", listen: 8081, host: "127.0.0.1", workerProcesses: 1, clientKeepalive: 0 },
      context,
    );
    expect(nginx).toBeInstanceOf(NginxRouter);
    expect(nginx.address()).toEqual({ host: "127.0.0.1", port: 8081 });
  });

  it("refuses an unknown type instead of falling back", () => {
    const config = { type: "envoy" } as unknown as RouterConfig;
    expect(() => createRouter(config, context)).toThrow(UnknownTypeError);
    expect(() => createRouter(config, context)).toThrow(
      /unknown router type "envoy"; known types: builtin, nginx, none/,
    );
  });
});

describe("NoneRouter", () => {
  it("remembers the table it was given and routes nothing", async () => {
    const router = new NoneRouter();
    await router.ensure();
    expect(await router.current()).toBeUndefined();
    const table = { backends: [{ version: "v1", weight: 100, endpoints: [] }] };
    await router.apply(table);
    expect(await router.current()).toEqual(table);
    expect(await router.stats()).toEqual({});
    await router.drain();
    await router.stop();
    expect(router.address()).toBeUndefined();
  });
});
