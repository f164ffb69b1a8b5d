// The fast path's and the proxy's tests again with the native data plane off (TANDEM_ROUTER_NATIVE=0), so
// that the JS fast path, which serves when the addon is missing, stays covered. The env is read when each
// RouterProxy is made, inside the tests.
import { afterAll } from "vitest";

const previous = process.env.TANDEM_ROUTER_NATIVE;
process.env.TANDEM_ROUTER_NATIVE = "0";
afterAll(() => {
  if (previous === undefined) delete process.env.TANDEM_ROUTER_NATIVE;
  else process.env.TANDEM_ROUTER_NATIVE = previous;
});

await import("./fast-path.test.js");
await import("./proxy.test.js");
await import("./proxy-keepalive.test.js");
