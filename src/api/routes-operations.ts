import type { FastifyInstance } from "fastify";
import { configJsonSchema } from "../config/index.js";
import { TandemError } from "../core/errors.js";
import { LIMITS } from "../core/limits.js";
import { assertEnvironment } from "../registry/view.js";
import { runSimulation, simulationSummary } from "../simulation/run-simulation.js";
import { duration, positive, type SimulationOptions, trafficFrom } from "../simulation/traffic-options.js";
import type { ApiContext } from "./context.js";
import { Admission } from "./rate.js";
import { ANY_OBJECT, NAME, responses, strictObject, TEXT } from "./schemas.js";

const PREFIX = "/api/v1";
/** A simulation runs in virtual time but costs real CPU: the API caps its horizon and rate. */
const MAX_HORIZON_MS = 24 * 3_600_000;
const MAX_RATE = 10_000;

const SHORT = { type: "string", minLength: 1, maxLength: 20 } as const;

type SimulateBody = { service: string; environment?: string } & Partial<SimulationOptions>;

/** `tandem down`, `tandem simulate` and `tandem schema` over the API. */
export function registerOperationRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const o = ctx.orchestrator;
  const simulations = new Admission("simulations", ctx.clock, {
    perWindow: LIMITS.simulationsPerTokenPerMinute,
    windowMs: 60_000,
    running: LIMITS.simulationsRunning,
  });

  app.post<{ Body: { environment?: string; force?: boolean; reason?: string } }>(
    `${PREFIX}/down`,
    {
      schema: {
        summary: "stop the project's routers and instances (of one environment, or all)",
        body: strictObject({ environment: NAME, force: { type: "boolean" }, reason: TEXT }),
        response: responses(strictObject({ routers: { type: "integer" }, instances: { type: "integer" } })),
      },
    },
    async (request) => {
      const { environment } = request.body;
      if (environment !== undefined) assertEnvironment(o.config, environment);
      return o.down({ ...request.body, ...ctx.source(request) });
    },
  );

  app.post<{ Body: SimulateBody }>(
    `${PREFIX}/simulate`,
    {
      schema: {
        summary: "run a service's strategy and analyses in virtual time against simulated traffic",
        body: strictObject(
          {
            service: NAME,
            environment: NAME,
            rate: SHORT,
            stableErrorRate: SHORT,
            errorRate: SHORT,
            latency: SHORT,
            sigma: SHORT,
            slower: SHORT,
            seed: SHORT,
            horizon: SHORT,
          },
          ["service"],
        ),
        response: responses(ANY_OBJECT),
      },
    },
    async (request) => {
      const body = request.body;
      const options: SimulationOptions = {
        rate: body.rate ?? "100",
        stableErrorRate: body.stableErrorRate ?? "0.5%",
        errorRate: body.errorRate,
        latency: body.latency ?? "50ms",
        sigma: body.sigma ?? "0.5",
        slower: body.slower ?? "0%",
        seed: body.seed ?? "1",
        horizon: body.horizon ?? "2h",
      };
      const traffic = trafficFrom(options);
      const horizonMs = duration(options.horizon, "horizon");
      if (horizonMs > MAX_HORIZON_MS || traffic.ratePerSecond > MAX_RATE) {
        throw new TandemError(
          "TANDEM_ERR_INVALID_REQUEST",
          `a simulation through the API runs at most 24h of virtual time at ${MAX_RATE} requests/s`,
          { hint: "run a bigger one with `tandem simulate` next to the configuration" },
        );
      }
      const seed = Math.trunc(positive(options.seed, "seed"));
      return simulations.run(ctx.token(request).id, async () => {
        const result = await runSimulation(o.config, {
          service: body.service,
          environment: body.environment ?? o.defaultEnvironment(),
          traffic,
          seed,
          horizonMs,
        });
        return simulationSummary(result, seed);
      });
    },
  );

  app.get(
    `${PREFIX}/schema`,
    { schema: { summary: "the JSON Schema of tandem.yaml", response: responses(ANY_OBJECT) } },
    async () => configJsonSchema(),
  );
}
