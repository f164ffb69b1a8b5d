import type { Command } from "commander";
import { ReleaseDriver } from "../api/driver.js";
import { createApiServer } from "../api/server.js";
import { TandemError } from "../core/errors.js";
import { Orchestrator } from "../orchestrator.js";
import { configPath, type GlobalOptions } from "./context.js";
import { listenForInterrupt } from "./interrupt.js";
import { serviceLogger } from "./logger.js";

type Globals = () => GlobalOptions;

/** `tandem serve`: the HTTP API, with an engine driving every release and the notification dispatcher. */
export function registerServeCommand(program: Command, globals: Globals): void {
  program
    .command("serve")
    .description('serve the HTTP API (README "Server and API") and drive every release until stopped')
    .option("-p, --port <port>", "port to listen on", "8420")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .action(async (options: { port: string; host: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `--port ${options.port} is not a port`);
      }
      // Structured logs (pino): JSON lines unless stderr is a terminal; requests at TANDEM_DEBUG=1.
      const { log, requests } = serviceLogger({ component: "serve" });
      const orchestrator = await Orchestrator.open(configPath(globals()), { log });
      const driver = new ReleaseDriver(orchestrator, { clock: orchestrator.clock, log });
      const app = await createApiServer({
        orchestrator,
        loggerInstance: requests,
      });
      try {
        await app.listen({ port, host: options.host });
      } catch (error) {
        await orchestrator.close();
        throw new TandemError("TANDEM_ERR_INVALID_REQUEST", `cannot listen on ${options.host}:${port}`, {
          cause: error,
          hint: error instanceof Error ? error.message : undefined,
        });
      }
      driver.start();
      const address = app.server.address();
      const actual = typeof address === "object" && address ? address.port : port;
      process.stdout.write(`tandem API listening on http://${options.host}:${actual}\n`);
      // A second signal while it stops is ignored (see listenForInterrupt).
      await new Promise<void>((resolve) => listenForInterrupt(resolve));
      process.stdout.write("stopping: no new requests; letting engine passes finish\n");
      await app.close();
      await driver.stop();
      await orchestrator.close();
      process.stdout.write("stopped\n");
    });
}
