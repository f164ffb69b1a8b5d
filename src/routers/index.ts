import type { RouterConfig } from "../core/config.js";
import { UnknownTypeError } from "../core/errors.js";
import { BuiltinRouter } from "./builtin/client.js";
import { NginxRouter } from "./nginx/router.js";
import { NoneRouter } from "./none.js";
import type { Router, RouterContext } from "./types.js";

const factories: {
  [T in RouterConfig["type"]]: (config: Extract<RouterConfig, { type: T }>, context: RouterContext) => Router;
} = {
  builtin: (config, context) => new BuiltinRouter(config, context),
  nginx: (config, context) => new NginxRouter(config, context),
  none: () => new NoneRouter(),
};

/** The router a service's configuration asks for; an unknown `type` is an error, never a default. */
export function createRouter(config: RouterConfig, context: RouterContext): Router {
  const type: string = config.type;
  if (!Object.hasOwn(factories, type)) throw new UnknownTypeError("router", type, Object.keys(factories));
  const factory = factories[config.type] as (config: RouterConfig, context: RouterContext) => Router;
  return factory(config, context);
}
