import { afterAll, beforeAll } from "vitest";
import { storeConformanceSuite } from "../conformance.test-suite.js";
import { startTestPostgres, type TestPostgres } from "./embedded.fixtures.js";
import { PostgresStore } from "./store.js";

let server: TestPostgres | undefined;

beforeAll(async () => {
  server = await startTestPostgres();
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

function running(): TestPostgres {
  if (!server) throw new Error("the test PostgreSQL did not start (beforeAll)");
  return server;
}

storeConformanceSuite("postgres", async (options) => {
  const url = await running().createDatabase();
  const store = new PostgresStore(url, options);
  return { store, cleanup: () => running().dropDatabase(url) };
});
